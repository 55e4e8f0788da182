"""The enrolment blanks (reference §3.1 step 5): the contract with the partner, the personal-data
consent and the enrolment application, generated for the citizen once the primary documents are
approved. Each is a GeneratedDocument (documents.services) bound to the application through an
ApplicationBlank, rendered by a Celery task from a Russian template in templates/pdf/enrollment/
with the citizen's, program's, cohort's and partner's data and the partner's signatory for
"citizen_contract"; every page carries a QR code holding the document's number.
"""
import base64

import qrcode
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Signatory
from core.formats import money
from core.fsm import InvalidTransition
from documents.models import GeneratedDocument
from documents.selectors import signatory_for
from documents.services import document_create, document_enqueue, document_render
from enrollment.models import Application, ApplicationBlank, ApplicationDocument, ApplicationEvent
from enrollment.permissions import BLANKS_OPEN, is_application_partner, may_support

Kind = ApplicationDocument.Kind
SIGNATORY_TYPE = Signatory.DocumentType.CITIZEN_CONTRACT
TEMPLATES = {
    Kind.ENROLMENT_CONTRACT: "pdf/enrollment/contract.html",
    Kind.PERSONAL_DATA_CONSENT: "pdf/enrollment/consent.html",
    Kind.ENROLMENT_APPLICATION: "pdf/enrollment/application.html",
}
# The document number's suffix per blank: «РР-2026-000123-Д».
NUMBER_SUFFIX = {Kind.ENROLMENT_CONTRACT: "Д", Kind.PERSONAL_DATA_CONSENT: "С", Kind.ENROLMENT_APPLICATION: "З"}


def blank_number(application: Application, kind: str) -> str:
    return f"{application.rr_number}-{NUMBER_SUFFIX[kind]}"


def blanks_generate(*, application: Application, actor) -> list[ApplicationBlank]:
    """Create the three blanks (pending) and queue their rendering after commit. A blank that
    already exists gets a new document; the previous one is kept. Refused with a Russian
    ValidationError, before anything is written, when nobody signs for the partner today."""
    today = timezone.localdate()
    signatory_for(organization=application.partner, document_type=SIGNATORY_TYPE, on=today)
    citizen = application.citizen
    blanks = []
    for kind in ApplicationDocument.ENROLMENT:
        title = f"{Kind(kind).label} — {application.rr_number} — {citizen.full_name}"
        document = document_create(kind=kind, title=title, number=blank_number(application, kind), actor=actor)
        blank, _created = ApplicationBlank.objects.update_or_create(application=application, kind=kind,
                                                                    defaults={"document": document})
        blanks.append(blank)
        _enqueue(document.pk)
    return blanks


@transaction.atomic
def blanks_regenerate(*, application: Application, actor, reason: str = "") -> list[ApplicationBlank]:
    """Render the blanks again (the citizen's data were corrected, or a render failed) while the
    enrolment documents are not yet approved. The partner's staff or the operator's support."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not (is_application_partner(actor, application) or may_support(actor)):
        raise PermissionDenied
    if application.status not in BLANKS_OPEN:
        raise InvalidTransition(_("Бланки формируются заново только до одобрения документов на зачисление."),
                                code="invalid_transition")
    blanks = blanks_generate(application=application, actor=actor)
    ApplicationEvent.objects.create(subject=application, actor=actor, transition="blanks_regenerate",
                                    source=application.status, target=application.status,
                                    comment=reason or _("Бланки на зачисление сформированы заново"))
    return blanks


def _enqueue(document_id: int) -> None:
    from enrollment.tasks import blank_render_task

    document_enqueue(document_id, blank_render_task)


def blank_render(*, document_id: int) -> GeneratedDocument:
    """Task body: render one blank (idempotent, see documents.services.document_render)."""
    return document_render(document_id=document_id, template_name=TEMPLATES, context_builder=blank_context)


def blank_context(document: GeneratedDocument) -> dict:
    """Everything a blank's template shows; fails (the document is marked failed) when the blank
    is no longer the application's current one or nobody may sign it."""
    # Two joins, the other relations by their keys: PostgreSQL took ~25 ms to *plan* the seven-table
    # join (at 1,000,000 applications), a sixth of a blank's rendering; four primary-key look-ups
    # cost ~1 ms together.
    blank = (ApplicationBlank.objects.select_related("application__citizen", "application__partner")
             .filter(document=document).first())
    if blank is None:
        raise ValueError(f"document {document.pk} is no longer a current blank")
    application = blank.application
    on = timezone.localdate(document.created_at)
    return {
        "document": document, "number": document.number, "date": on, "application": application,
        "citizen": application.citizen, "program": application.program, "cohort": application.cohort,
        "partner": application.partner, "category": application.category,
        "signatory": signatory_for(organization=application.partner, document_type=SIGNATORY_TYPE, on=on),
        "price": money(application.reserved_amount), "qr": qr_data_uri(document.number),
    }


# Any of the eight masks makes a valid code (ISO/IEC 18004); choosing the "best" one scores all
# eight and was half of the code's cost. The code is printed large, on white, beside its number.
QR_MASK = 2


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URI (core.pdf's fetcher serves data: URIs only): one
    path, a rectangle per run of dark modules in a row, 1 mm a module. Drawn here, not by qrcode's
    SVG image factory, which took 3 ms a code (a blank renders in ~100 ms)."""
    code = qrcode.QRCode(border=1, mask_pattern=QR_MASK)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                path.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}mm" height="{size}mm" viewBox="0 0 {size} {size}">'
           f'<path d="{"".join(path)}"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")

