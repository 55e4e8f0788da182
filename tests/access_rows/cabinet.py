"""Access matrix rows of the citizen cabinet (namespace "cabinet"; "cabinet:home" is in the base
matrix). Only citizens come in: every staff persona gets 403 before any object is looked up, and an
anonymous visitor is sent to log in. The objects are the citizen persona's own: an application in
training (so the withdrawal form is open) with a document, a ready blank, a withdrawal request and a
qualification document scan. Another citizen's objects answer 404: tests/enrollment/test_cabinet_files.py.
POSTs carry no data: the citizen gets the page back with the refusal (200) or is redirected (302)."""
import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from enrollment.models import (
    Application,
    ApplicationBlank,
    ApplicationDocument,
    QualificationDocument,
    WithdrawalRequest,
)
from tests.access_rows import row
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory, CitizenFactory

# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
CITIZEN_PAGE = (302, 200, 403, 403, 403, 403)
APPLICATION = ("cabinet_application",)

ROWS = {
    "cabinet:application": row(*CITIZEN_PAGE, args=APPLICATION),
    "cabinet:blanks": row(*CITIZEN_PAGE, args=APPLICATION),
    # Without the two consents ticked the step comes back with the boxes marked (200).
    "cabinet:notifications_enable": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:personal_save": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:education_save": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:enrolment_upload": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:originals_save": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:withdrawal_upload": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:employment_proof_upload": row(*CITIZEN_PAGE, method="post", args=APPLICATION),
    "cabinet:withdrawal_form": row(*CITIZEN_PAGE, args=APPLICATION),
    "cabinet:qualification_file": row(*CITIZEN_PAGE, args=APPLICATION),
    "cabinet:document_file": row(*CITIZEN_PAGE, args=("cabinet_document",)),
    "cabinet:blank_file": row(*CITIZEN_PAGE, args=("cabinet_blank",)),
    "cabinet:withdrawal_file": row(*CITIZEN_PAGE, args=("cabinet_withdrawal",)),
}


def objects(world) -> dict:
    from documents.services import document_create

    user = world["citizen"]
    today = timezone.localdate()
    citizen = CitizenFactory(user=user, email=user.email, notifications_enabled_at=timezone.now())
    application = ApplicationFactory(citizen=citizen, cohort__start_date=today - dt.timedelta(days=10),
                                     cohort__end_date=today + dt.timedelta(days=60),
                                     agreement_signed_at=timezone.now())
    Application.objects.filter(pk=application.pk).update(status=Application.Status.STUDYING)
    document = ApplicationDocumentFactory(application=application, kind=ApplicationDocument.Kind.PASSPORT_MAIN)
    generated = document_create(kind=ApplicationDocument.Kind.ENROLMENT_CONTRACT, title="Договор об образовании")
    generated.file.save("contract.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    generated.mark_ready(sha256="0" * 64)
    generated.save()
    blank = ApplicationBlank.objects.create(application=application, kind=ApplicationDocument.Kind.ENROLMENT_CONTRACT,
                                            document=generated)
    withdrawal = WithdrawalRequest(application=application, filed_by=user)
    withdrawal.file.save("withdrawal.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    withdrawal.save()
    qualification = QualificationDocument(application=application, number="000123", registration_number="77",
                                          issued_on=today)
    qualification.scan.save("qualification.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    qualification.save()
    return {"cabinet_application": application, "cabinet_document": document, "cabinet_blank": blank,
            "cabinet_withdrawal": withdrawal}
