"""Automatic orders (reference §4.2, automatic mode): a Celery beat task at 00:30 Moscow time runs
the night for partners whose campaign order mode is automatic, and ops can run a night by hand
(`manage.py run_automatic_orders`). Per cohort, in one transaction each:

- on the start day, one enrolment order for everyone in `enrolment_order_required` (approved
  enrolment documents and a signed intention agreement), dated the cohort start;
- every night, one own-request expulsion order for the withdrawal requests approved before the
  night's cut-off (normally in the last 24 hours; a missed night is caught up the next one);
- from the night after the cohort end, one failure order and one completion order for those whose
  learning-platform result has arrived and who have no expulsion order yet (a result that arrives
  later gets a supplementary order the night after).

Numbers are `[partner prefix]-[cohort id]-[code]` with `-2`, `-3`… for later supplementary orders of
the same cohort, type and basis (reference §4.3). Each order's PDF lists every citizen and is
signed by the partner's signatory for orders. A night is idempotent: an order of the same cohort,
type, basis and night is never generated twice (a unique constraint backs the check), so a second
run of the night creates nothing.
"""
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CampaignParticipation, Signatory
from documents.models import GeneratedDocument
from documents.selectors import signatory_for
from documents.services import document_create, document_enqueue, document_render
from enrollment.models import Application, WithdrawalRequest
from orders.models import Order, OrderEvent
from orders.services.orders import apply_order, assignment_refusals
from programs.models import Cohort

logger = logging.getLogger(__name__)
Status = Application.Status
Type, Basis = Order.Type, Order.Basis
NIGHT_TIME = dt.time(0, 30)
SIGNATORY_TYPE = Signatory.DocumentType.ORDER
# The number's code per kind of order: «АЛЬФА-17-ПЗ» (enrolment), «АЛЬФА-17-ПОЗ-2» (a second
# own-request order of cohort 17).
NUMBER_CODES = {
    (Type.ENROLMENT, ""): "ПЗ",
    (Type.EXPULSION, Basis.OWN_REQUEST): "ПОЗ",
    (Type.EXPULSION, Basis.FAILURE): "ПОН",
    (Type.EXPULSION, Basis.QUALIFICATION): "ПОК",
}
# Which applications each kind of order takes.
ORDER_STATUS = {
    Status.ENROLMENT_ORDER_REQUIRED: (Type.ENROLMENT, ""),
    Status.OWN_REQUEST_ORDER_REQUIRED: (Type.EXPULSION, Basis.OWN_REQUEST),
    Status.FAILURE_ORDER_REQUIRED: (Type.EXPULSION, Basis.FAILURE),
    Status.COMPLETION_ORDER_REQUIRED: (Type.EXPULSION, Basis.QUALIFICATION),
}


@dataclass
class NightOrder:
    """One order of a night: generated, or what a dry run would generate."""

    cohort_id: int
    type: str
    basis: str
    number: str = ""
    order_id: int | None = None
    rr_numbers: list[str] = field(default_factory=list)
    skipped: str = ""  # why nothing was generated (already generated for this night)
    error: str = ""  # what went wrong (logged; the other cohorts' orders are generated all the same)

    @property
    def kind_display(self) -> str:
        kind = Order.Type(self.type).label
        return f"{kind} ({Order.Basis(self.basis).label})" if self.basis else str(kind)


def night_cutoff(night: dt.date) -> dt.datetime:
    """00:30 Moscow time of the night: what happened before it belongs to this night."""
    return timezone.make_aware(dt.datetime.combine(night, NIGHT_TIME))


def automatic_orders_run(*, night: dt.date, dry_run: bool = False) -> list[NightOrder]:
    """Generate (or, with `dry_run`, only plan) the night's orders; returns them per cohort."""
    results = []
    for (cohort_id, order_type, basis), ids in _candidates(night).items():
        planned = NightOrder(cohort_id=cohort_id, type=order_type, basis=basis)
        if dry_run:
            cohort = Cohort.objects.select_related("program__partner").get(pk=cohort_id)
            planned.number = _number(cohort, order_type, basis, _next_sequence(cohort_id, order_type, basis))
            planned.rr_numbers = list(Application.objects.filter(pk__in=ids).order_by("rr_number")
                                      .values_list("rr_number", flat=True))
            if _already_generated(cohort_id, order_type, basis, night):
                planned.skipped = _("уже сформирован этой ночью")
        else:
            try:
                _generate(planned, ids, night)
            except Exception as error:  # one cohort's failure never costs the other cohorts their night
                logger.exception("automatic orders: cohort %s (%s) failed", cohort_id, planned.kind_display)
                planned.error = f"{type(error).__name__}: {error}"
        results.append(planned)
    return results


def _candidates(night: dt.date) -> dict[tuple, list[int]]:
    """{(cohort, type, basis): application ids} of the night, for partners in automatic mode."""
    automatic = set(CampaignParticipation.objects.filter(order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
                    .values_list("campaign_id", "partner_id"))
    if not automatic:
        return {}
    approved = WithdrawalRequest.objects.filter(application=OuterRef("pk"), status=WithdrawalRequest.Status.APPROVED,
                                                decided_at__lt=night_cutoff(night))
    base = Application.objects.filter(partner_id__in={partner for _campaign, partner in automatic},
                                      cohort__isnull=False)
    rows = [
        *base.filter(status=Status.ENROLMENT_ORDER_REQUIRED, cohort__start_date=night)
        .values_list("pk", "cohort_id", "program__campaign_id", "partner_id", "status"),
        *base.filter(status=Status.OWN_REQUEST_ORDER_REQUIRED).filter(Exists(approved))
        .values_list("pk", "cohort_id", "program__campaign_id", "partner_id", "status"),
        *base.filter(status__in=[Status.FAILURE_ORDER_REQUIRED, Status.COMPLETION_ORDER_REQUIRED],
                     cohort__end_date__lt=night)
        .values_list("pk", "cohort_id", "program__campaign_id", "partner_id", "status"),
    ]
    groups = defaultdict(list)
    for pk, cohort_id, campaign_id, partner_id, status in rows:
        if (campaign_id, partner_id) in automatic:
            groups[(cohort_id, *ORDER_STATUS[status])].append(pk)
    return dict(sorted(groups.items()))


@transaction.atomic
def _generate(planned: NightOrder, ids: list[int], night: dt.date) -> None:
    # The cohort's row lock serialises two runs of the same night (beat and a hand run).
    cohort = Cohort.objects.select_for_update().select_related("program__partner").get(pk=planned.cohort_id)
    if _already_generated(cohort.pk, planned.type, planned.basis, night):
        planned.skipped = _("уже сформирован этой ночью")
        return
    applications = list(Application.objects.select_for_update(of=("self",)).select_related("citizen")
                        .filter(pk__in=ids).order_by("citizen__last_name", "citizen__first_name", "pk"))
    sequence = _next_sequence(cohort.pk, planned.type, planned.basis)
    number = _number(cohort, planned.type, planned.basis, sequence)
    while Order.objects.filter(partner_id=cohort.program.partner_id, number=number).exists():
        # Staff typed this number for an order of their own: take the next supplementary one.
        sequence += 1
        number = _number(cohort, planned.type, planned.basis, sequence)
    order = Order(partner=cohort.program.partner, cohort=cohort, type=planned.type, basis=planned.basis,
                  number=number, is_automatic=True, night=night, sequence=sequence,
                  **_dates(cohort, planned.type, planned.basis, night))
    # The night's own rules: the statuses were selected just now, so only a race can refuse one.
    applications = [a for a in applications if not assignment_refusals(order, [a], today=night)]
    if not applications:
        return
    order.save()
    OrderEvent.objects.create(subject=order, actor=None, transition="generate", comment=_(
        "Сформирован автоматически в ночь на %(night)s") % {"night": f"{night:%d.%m.%Y}"})
    apply_order(order, applications, actor=None)
    order_document_generate(order=order, actor=None)
    planned.number, planned.order_id = order.number, order.pk
    planned.rr_numbers = sorted(a.rr_number for a in applications)


def _already_generated(cohort_id, order_type, basis, night) -> bool:
    return Order.objects.filter(cohort_id=cohort_id, type=order_type, basis=basis, night=night,
                                is_automatic=True).exists()


def _next_sequence(cohort_id, order_type, basis) -> int:
    return Order.objects.filter(cohort_id=cohort_id, type=order_type, basis=basis, is_automatic=True).count() + 1


def _number(cohort: Cohort, order_type: str, basis: str, sequence: int) -> str:
    number = f"{cohort.program.partner.number_prefix}-{cohort.pk}-{NUMBER_CODES[(order_type, basis)]}"
    return number if sequence == 1 else f"{number}-{sequence}"


def _dates(cohort: Cohort, order_type: str, basis: str, night: dt.date) -> dict:
    """Enrolment is registered on the start date; an own-request expulsion takes effect on the
    night's date; the end-of-training orders expel on the cohort's end date."""
    if order_type == Type.ENROLMENT:
        return {"order_date": cohort.start_date, "expelled_on": None}
    if basis == Basis.OWN_REQUEST:
        return {"order_date": night, "expelled_on": night}
    return {"order_date": night, "expelled_on": cohort.end_date}


# The order's PDF ------------------------------------------------------------------------------

def order_document_generate(*, order: Order, actor) -> GeneratedDocument:
    """A new PDF of the order (the previous one, if any, is kept), rendered after commit."""
    document = document_create(kind="order", title=f"{order} — {order.kind_display}", number=order.number,
                               actor=actor)
    Order.objects.filter(pk=order.pk).update(document=document)
    order.document = document
    from orders.tasks import order_render_task

    document_enqueue(document.pk, order_render_task)
    return document


def order_render(*, document_id: int) -> GeneratedDocument:
    """Task body: render one order's PDF (idempotent, see documents.services.document_render)."""
    return document_render(document_id=document_id, template_name="pdf/orders/order.html",
                           context_builder=order_context)


def order_context(document: GeneratedDocument) -> dict:
    order = Order.objects.select_related("partner", "cohort__program").filter(document=document).first()
    if order is None:
        raise ValueError(f"document {document.pk} is no longer an order's current PDF")
    assignments = (order.assignments.select_related("application__citizen")
                   .order_by("application__citizen__last_name", "application__citizen__first_name", "pk"))
    lines = [assignment.application for assignment in assignments]
    return {
        "order": order, "partner": order.partner, "cohort": order.cohort, "program": order.cohort.program,
        "applications": lines,
        "signatory": signatory_for(organization=order.partner, document_type=SIGNATORY_TYPE, on=order.order_date),
    }
