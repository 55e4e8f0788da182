"""A citizen's files are served only to them, as attachments, from permission-checked views
(security UPL-05, UPL-06, ACL-08): another citizen's file is a 404, whatever its kind."""
import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from documents.services import document_create
from enrollment.models import (
    Application,
    ApplicationBlank,
    ApplicationDocument,
    QualificationDocument,
    WithdrawalRequest,
)
from enrollment.services.uploads import document_upload
from tests.enrollment.test_cabinet_support import citizen_application, png_bytes, upload

pytestmark = pytest.mark.django_db

Kind = ApplicationDocument.Kind


def _files_of(application) -> dict[str, str]:
    """One URL per file view, for `application`'s objects."""
    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()],
                               actor=application.citizen.user)
    generated = document_create(kind="enrolment_contract", title="Договор об образовании")
    generated.file.save("c.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    generated.mark_ready(sha256="0" * 64)
    generated.save()
    blank = ApplicationBlank.objects.create(application=application, kind=Kind.ENROLMENT_CONTRACT, document=generated)
    withdrawal = WithdrawalRequest(application=application)
    withdrawal.file.save("w.png", ContentFile(png_bytes()), save=False)
    withdrawal.save()
    qualification = QualificationDocument(application=application, number="1", registration_number="2",
                                          issued_on=dt.date(2026, 5, 1))
    qualification.scan.save("q.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    qualification.save()
    return {
        "document": reverse("cabinet:document_file", args=[document.pk]),
        "blank": reverse("cabinet:blank_file", args=[blank.pk]),
        "withdrawal": reverse("cabinet:withdrawal_file", args=[withdrawal.pk]),
        "qualification": reverse("cabinet:qualification_file", args=[application.pk]),
    }


@pytest.fixture
def mine(citizen):
    return _files_of(citizen_application(citizen))


@pytest.fixture
def theirs():
    return _files_of(citizen_application(None))


@pytest.mark.parametrize("which", ["document", "blank", "withdrawal", "qualification"])
def test_another_citizens_file_is_not_found(client, citizen, mine, theirs, which):
    client.force_login(citizen)
    assert client.get(theirs[which]).status_code == 404
    assert client.get(mine[which]).status_code == 200


@pytest.mark.parametrize("which", ["document", "blank", "withdrawal", "qualification"])
def test_staff_never_open_the_cabinets_files(client, staff_a, operator_reviewer, mine, which):
    for user in (staff_a, operator_reviewer):
        client.force_login(user)
        assert client.get(mine[which]).status_code == 403


def test_a_scan_is_an_attachment_with_its_real_type(client, citizen, mine):
    client.force_login(citizen)
    response = client.get(mine["document"])

    assert response["Content-Disposition"].startswith("attachment;")
    assert ".png" in response["Content-Disposition"]
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_an_older_version_is_still_the_citizens_to_download(client, citizen):
    application = citizen_application(citizen)
    first = document_upload(application=application, kind=Kind.PHOTO, files=[upload()], actor=citizen)
    document_upload(application=application, kind=Kind.PHOTO, files=[upload()], actor=citizen)
    client.force_login(citizen)
    assert client.get(reverse("cabinet:document_file", args=[first.pk])).status_code == 200


def test_a_pending_blank_is_not_served(client, citizen):
    application = citizen_application(citizen, status=Application.Status.ENROLMENT_DOCS_REQUIRED)
    blank = ApplicationBlank.objects.create(application=application, kind=Kind.ENROLMENT_CONTRACT,
                                            document=document_create(kind="x", title="Договор"))
    client.force_login(citizen)
    assert client.get(reverse("cabinet:blank_file", args=[blank.pk])).status_code == 404


def test_the_withdrawal_form_is_a_pdf_with_the_citizens_and_programs_names(client, citizen):
    today = timezone.localdate()
    application = citizen_application(citizen, status=Application.Status.STUDYING,
                                      cohort__start_date=today - dt.timedelta(days=5),
                                      cohort__end_date=today + dt.timedelta(days=40))
    client.force_login(citizen)

    response = client.get(reverse("cabinet:withdrawal_form", args=[application.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert application.citizen.full_name in text
    assert "ЗАЯВЛЕНИЕ" in text
    assert application.rr_number in text
