"""Access-matrix rows of the cohort reporting pages (cohorts/urls.py).

Objects: cohort_a — partner A's cohort (tests/cohorts/support.py: one citizen enrolled by an order
entered on РР) with a registered assignment signed by both (assignment_a), an act under review with
the partner's signature and an invoice (act_a), its built archive, the journal package (journal_file_a),
a report waiting for the operator's signature (report_a); assignment_ready — partner A's assignment
of another cohort the operator has generated but not signed yet.

The pages are for partner staff, the operator and auditors: citizens and the employment reviewer get
403 before any lookup; partner B's staff get 404 on everything of partner A; partner A's staff get 404
on the assignment the operator has not signed (it does not exist for them yet); a step of the other
side is 403. A POST that reaches its service comes back to the cohort page (302), with the service's
refusal as a message where the object is not in the step's status (the set-up only checks the doors).
"""
import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile

from cohorts.models import Act, ActInvoice, Assignment, EmploymentReport, JournalFile, JournalPackage
from documents.models import Signature
from tests.access_rows import row
from tests.cohorts.support import enrolled_cohort
from tests.programs.factories import CohortFactory
from tests.programs.test_contract_support import pdf_bytes, ready_document, sign

COHORT, ASSIGNMENT, ACT, REPORT = ("cohort_a",), ("assignment_a",), ("act_a",), ("report_a",)
CONFIRMED = {"confirmed": "1"}
# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
SEE = (302, 403, 200, 404, 403, 200)
OPERATOR_POST = (302, 403, 403, 404, 403, 302)
PARTNER_POST = (302, 403, 302, 404, 403, 403)
BOTH_POST = (302, 403, 302, 404, 403, 302)


def _post(expect, args, data=None):
    return row(*expect, args=args, method="post", data=data or {})


ROWS = {
    "cohorts:cohort_list": row(302, 403, 200, 200, 403, 200),
    "cohorts:cohort_detail": row(*SEE, args=COHORT),
    # The assignment exists: the operator is sent back with the refusal.
    "cohorts:assignment_generate": _post(OPERATOR_POST, COHORT, CONFIRMED),
    # No files: back to the page with the form's errors.
    "cohorts:journal_upload": _post(PARTNER_POST, COHORT),
    # Nobody ticked: back with the service's refusal.
    "cohorts:act_generate": _post(PARTNER_POST, COHORT, CONFIRMED),
    "cohorts:remark_add": _post(BOTH_POST, COHORT, {"text": "Проверьте цифровой след"}),
    # Not yet signed by the operator: partner A's staff may not know it exists.
    "cohorts:assignment_sign_operator": _post((302, 403, 404, 404, 403, 302), ("assignment_ready",)),
    "cohorts:assignment_sign_partner": _post(PARTNER_POST, ASSIGNMENT),
    "cohorts:assignment_register": _post(OPERATOR_POST, ASSIGNMENT, CONFIRMED),
    "cohorts:assignment_file": row(*SEE, args=ASSIGNMENT),
    "cohorts:assignment_archive": row(302, 403, 404, 404, 403, 200, args=("assignment_ready",)),
    "cohorts:act_approve": _post(OPERATOR_POST, ACT, CONFIRMED),
    "cohorts:act_reject": _post(OPERATOR_POST, ACT, {"comment": "Замените журнал", **CONFIRMED}),
    "cohorts:act_resubmit": _post(PARTNER_POST, ACT, CONFIRMED),
    "cohorts:act_sign_partner": _post(PARTNER_POST, ACT),
    "cohorts:act_check": _post(OPERATOR_POST, ACT, CONFIRMED),
    "cohorts:act_sign_operator": _post(OPERATOR_POST, ACT),
    "cohorts:act_archive": _post(BOTH_POST, ACT),
    "cohorts:act_archive_file": row(*SEE, args=ACT),
    "cohorts:act_file": row(*SEE, args=ACT),
    "cohorts:act_invoice": row(*SEE, args=ACT),
    "cohorts:report_generate": _post(OPERATOR_POST, ACT, CONFIRMED),
    "cohorts:report_sign": _post(OPERATOR_POST, REPORT),
    "cohorts:report_file": row(*SEE, args=REPORT),
    "cohorts:journal_file": row(*SEE, args=("journal_file_a",)),
    "cohorts:signature_file": row(*SEE, args=("act_signature_a",)),
}


def objects(world) -> dict:
    partner = world["partner_a"]
    cohort, _applications = enrolled_cohort(partner, world["campaign"], world["staff_a"], count=1)
    assignment = Assignment.objects.create(
        cohort=cohort, partner=partner, status=Assignment.Status.REGISTERED, number=f"З-{cohort.pk}",
        assignment_date=cohort.start_date, citizens=1, amount=Decimal("45000.00"),
        document=ready_document(kind="assignment", title="Задание"))
    sign(assignment.document, Signature.Party.OPERATOR)
    sign(assignment.document, Signature.Party.PARTNER)
    later = CohortFactory(program=cohort.program, start_date=cohort.start_date + dt.timedelta(days=90),
                          end_date=cohort.end_date + dt.timedelta(days=90))
    assignment_ready = Assignment.objects.create(
        cohort=later, partner=partner, number=f"З-{later.pk}", assignment_date=later.start_date, citizens=1,
        amount=Decimal("45000.00"), document=ready_document(kind="assignment", title="Задание"))

    act = Act.objects.create(cohort=cohort, partner=partner, assignment=assignment, status=Act.Status.UNDER_REVIEW,
                             number=f"А-{cohort.pk}", amount=Decimal("45000.00"), review_due=cohort.end_date,
                             document=ready_document(kind="act", title="Акт"),
                             archive=ready_document(kind="act_archive", title="Архив"))
    act_signature = sign(act.document, Signature.Party.PARTNER)
    invoice = ActInvoice(act=act, content_type="application/pdf", size=1, sha256="0" * 64)
    invoice.file.save(f"invoice-{act.pk}-v1.pdf", ContentFile(pdf_bytes()), save=False)
    invoice.save()

    package = JournalPackage.objects.create(cohort=cohort, partner=partner)
    journal = JournalFile(package=package, version=1, kind=JournalFile.Kind.JOURNAL, content_type="application/pdf",
                          size=1, sha256="0" * 64)
    journal.file.save(f"journal-{cohort.pk}-v1.pdf", ContentFile(pdf_bytes()), save=False)
    journal.save()

    report = EmploymentReport.objects.create(act=act, partner=partner, number=f"О-{cohort.pk}",
                                             document=ready_document(kind="employment_report", title="Отчёт"))
    return {"cohort_a": cohort, "assignment_a": assignment, "assignment_ready": assignment_ready, "act_a": act,
            "act_signature_a": act_signature, "journal_file_a": journal, "report_a": report}
