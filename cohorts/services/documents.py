"""The PDFs of the cohort's reporting documents, rendered by Celery from Russian templates in
templates/pdf/cohorts/: the assignment (no names), the act (its citizens and sum) and the
employment report (its employed citizens). Signed by the operator's and the partner's signatories
for the document's type."""
from django.utils import timezone

from accounts.models import Organization, Signatory
from cohorts.models import Act, Assignment, EmploymentReport
from core.formats import money
from documents.models import GeneratedDocument
from documents.selectors import signatory_for
from documents.services import document_render
from enrollment.models import Application

TEMPLATES = {"assignment": "pdf/cohorts/assignment.html", "act": "pdf/cohorts/act.html",
             "employment_report": "pdf/cohorts/report.html"}
SIGNATORY_TYPES = {"assignment": Signatory.DocumentType.ASSIGNMENT, "act": Signatory.DocumentType.ACT,
                   "employment_report": Signatory.DocumentType.REPORT}


def cohort_document_render(*, document_id: int) -> GeneratedDocument:
    return document_render(document_id=document_id, template_name=TEMPLATES, context_builder=_context)


def _context(document: GeneratedDocument) -> dict:
    owner = _owner(document)
    cohort = owner.cohort if not isinstance(owner, EmploymentReport) else owner.act.cohort
    partner = cohort.program.partner
    on = timezone.localdate(document.created_at)
    operator = Organization.objects.filter(kind=Organization.Kind.OPERATOR, is_active=True).order_by("pk").first()
    signatory_type = SIGNATORY_TYPES[document.kind]
    context = {
        "document": document, "number": document.number, "date": on, "cohort": cohort, "program": cohort.program,
        "partner": partner, "operator": operator,
        "partner_signatory": signatory_for(organization=partner, document_type=signatory_type, on=on),
        "operator_signatory": (signatory_for(organization=operator, document_type=signatory_type, on=on)
                               if operator else None),
    }
    if isinstance(owner, Assignment):
        context.update(assignment=owner, contract=owner.contract, date=owner.assignment_date,
                       amount=money(owner.amount))
    elif isinstance(owner, Act):
        lines = list(owner.lines.select_related("application__citizen").order_by(
            "application__citizen__last_name", "application__citizen__first_name", "pk"))
        context.update(act=owner, contract=owner.contract, lines=[(line, money(line.price)) for line in lines],
                       amount=money(owner.amount))
    else:
        applications = (Application.objects.filter(report_line__report=owner)
                        .select_related("citizen")
                        .order_by("citizen__last_name", "citizen__first_name", "pk"))
        context.update(report=owner, act=owner.act, contract=owner.act.contract, applications=list(applications))
    return context


def _owner(document: GeneratedDocument):
    """The assignment, act or report whose current PDF this is (or ValueError: superseded)."""
    model = {"assignment": Assignment, "act": Act, "employment_report": EmploymentReport}[document.kind]
    related = "act__cohort__program__partner" if model is EmploymentReport else "cohort__program__partner"
    owner = model.objects.filter(document=document).select_related(related).first()
    if owner is None:
        raise ValueError(f"document {document.pk} is no longer a current {document.kind}")
    return owner
