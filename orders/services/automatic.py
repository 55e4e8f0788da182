"""Automatic orders (reference §4.2, automatic mode): a Celery beat task at 00:30 Moscow time runs
the night for partners whose campaign order mode is automatic, and ops can run a night by hand
(`manage.py run_automatic_orders`). Per cohort (see `automatic_orders_run` for the transactions):

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
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CampaignParticipation, Signatory
from accounts.services import participation_order_mode_fix
from documents.models import GeneratedDocument
from documents.selectors import signatory_for
from documents.services import document_create, document_enqueue, document_render
from enrollment.models import Application, WithdrawalRequest
from orders.models import Order, OrderEvent
from orders.services.orders import apply_orders, assignment_refusals
from programs.models import Cohort

logger = logging.getLogger(__name__)
Status = Application.Status
Type, Basis = Order.Type, Order.Basis
NIGHT_TIME = dt.time(0, 30)
SIGNATORY_TYPE = Signatory.DocumentType.ORDER
# Orders generated per transaction: a chunk's look-ups and writes are one statement each.
CHUNK = 50
# Candidate numbers of each order looked up with the chunk («…-ПЗ», «…-ПЗ-2», «…-ПЗ-3»): staff
# rarely type the night's numbers, so a further one is looked up on its own.
NUMBERS_LOOKED_UP = 3
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
    """Generate (or, with `dry_run`, only plan) the night's orders; returns them per cohort.

    The orders are generated CHUNK at a time, one transaction per chunk: the chunk's look-ups (its
    cohorts, their automatic orders so far, the numbers already taken, its applications) are one
    query each, and so are its writes (the orders, their events and assignments, the applications'
    transitions and history, the e-mails) but for each order's PDF row. A chunk that fails is
    generated again order by order (`_generate_chunk`): a failing cohort costs the others nothing."""
    candidates, participations = _candidates(night)
    keys = list(candidates)
    results = []
    for start in range(0, len(keys), CHUNK):
        chunk = {key: candidates[key] for key in keys[start:start + CHUNK]}
        results += _plan(chunk, night) if dry_run else _generate_chunk(chunk, night, participations)
    return results


def _candidates(night: dt.date) -> tuple[dict[tuple, list[int]], dict[tuple, tuple]]:
    """{(cohort, type, basis): application ids} of the night, for partners in automatic mode, and
    {(campaign, partner): (participation id, whether its order mode is fixed)} of those partners."""
    automatic = {(campaign_id, partner_id): (pk, fixed_at is not None) for pk, campaign_id, partner_id, fixed_at in
                 CampaignParticipation.objects.filter(order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
                 .values_list("pk", "campaign_id", "partner_id", "order_mode_fixed_at")}
    if not automatic:
        return {}, {}
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
    return dict(sorted(groups.items())), automatic


@dataclass
class _Chunk:
    """The look-ups of a chunk of the night's orders, one query each."""

    cohorts: dict[int, Cohort]
    generated: set[tuple]  # (cohort, type, basis) with an automatic order of this night
    sequences: Counter  # (cohort, type, basis) → how many automatic orders it has
    taken: set[tuple]  # (partner, number) already taken among `looked_up`
    looked_up: set[tuple] = field(default_factory=set)  # (partner, number) candidates read with the chunk

    @classmethod
    def load(cls, keys, night: dt.date, *, lock: bool) -> "_Chunk":
        cohort_ids = sorted({cohort_id for cohort_id, _type, _basis in keys})
        cohorts = Cohort.objects.select_related("program__partner").filter(pk__in=cohort_ids).order_by("pk")
        if lock:
            # The cohorts' row locks serialise two runs of the same night (beat and a hand run):
            # the second reads the first one's orders below, after it committed.
            cohorts = cohorts.select_for_update(of=("self",))
        cohorts = {cohort.pk: cohort for cohort in cohorts}
        existing = list(Order.objects.filter(cohort_id__in=cohort_ids, is_automatic=True)
                        .values_list("cohort_id", "type", "basis", "night"))
        chunk = cls(cohorts=cohorts, generated={(c, t, b) for c, t, b, n in existing if n == night},
                    sequences=Counter((c, t, b) for c, t, b, _n in existing), taken=set())
        # Staff may have typed a number the night generates (an extension order): the first few
        # candidates of every order are looked up at once, any further one on its own.
        first = {(cohorts[key[0]].program.partner_id, chunk.number(key, chunk.sequences[key] + extra))
                 for key in keys if key[0] in cohorts for extra in range(1, NUMBERS_LOOKED_UP + 1)}
        if first:
            chunk.taken = set(Order.objects.filter(partner_id__in={partner for partner, _n in first},
                                                   number__in={number for _p, number in first})
                              .values_list("partner_id", "number")) & first
        chunk.looked_up = first
        return chunk

    def number(self, key, sequence: int) -> str:
        cohort_id, order_type, basis = key
        return _number(self.cohorts[cohort_id], order_type, basis, sequence)

    def next_number(self, key) -> tuple[str, int]:
        """The order's number and sequence: the next of the cohort's kind not already taken."""
        partner_id = self.cohorts[key[0]].program.partner_id
        sequence = self.sequences[key] + 1
        while True:
            number = self.number(key, sequence)
            looked_up = (partner_id, number) in self.looked_up
            if not ((partner_id, number) in self.taken if looked_up
                    else Order.objects.filter(partner_id=partner_id, number=number).exists()):
                return number, sequence
            # Staff typed this number for an order of their own: take the next supplementary one.
            sequence += 1


def _plan(chunk: dict[tuple, list[int]], night: dt.date) -> list[NightOrder]:
    """A dry run of a chunk: what would be generated, with the numbers it would get."""
    looked_up = _Chunk.load(chunk, night, lock=False)
    rr_numbers = dict(Application.objects.filter(pk__in=[pk for ids in chunk.values() for pk in ids])
                      .values_list("pk", "rr_number"))
    results = []
    for key, ids in chunk.items():
        planned = NightOrder(cohort_id=key[0], type=key[1], basis=key[2])
        planned.number = looked_up.next_number(key)[0]
        planned.rr_numbers = sorted(rr_numbers[pk] for pk in ids if pk in rr_numbers)
        if key in looked_up.generated:
            planned.skipped = _("уже сформирован этой ночью")
        results.append(planned)
    return results


def _generate_chunk(chunk: dict[tuple, list[int]], night: dt.date, participations: dict) -> list[NightOrder]:
    """Generate a chunk's orders in one transaction. If anything fails, nothing of the chunk is
    written and each of its orders is generated again in a transaction of its own, so that a failing
    cohort is rolled back alone and the others get their night."""
    fixed = set()  # participations whose order mode this chunk fixed (committed with it)
    try:
        with transaction.atomic():
            results = _generate_locked(chunk, night, participations, fixed)
    except Exception as error:
        if len(chunk) > 1:
            logger.warning("automatic orders: a chunk of %d orders failed (%s: %s), generating them one by one",
                           len(chunk), type(error).__name__, error, exc_info=True)
            return [result for key, ids in chunk.items()
                    for result in _generate_chunk({key: ids}, night, participations)]
        [(cohort_id, order_type, basis)] = chunk
        planned = NightOrder(cohort_id=cohort_id, type=order_type, basis=basis)
        logger.exception("automatic orders: cohort %s (%s) failed", cohort_id, planned.kind_display)
        planned.error = f"{type(error).__name__}: {error}"
        return [planned]
    for key in fixed:
        participations[key] = (participations[key][0], True)
    return results


def _generate_locked(chunk: dict[tuple, list[int]], night: dt.date, participations: dict, fixed: set):
    looked_up = _Chunk.load(chunk, night, lock=True)
    # The statuses were selected before the locks: assignment_refusals below drops any that moved.
    # Locked in id order, as order_assign locks them (the PDF sorts the citizens by name itself).
    locked = (Application.objects.select_for_update(of=("self",)).select_related("citizen", "program", "cohort")
              .filter(pk__in=[pk for ids in chunk.values() for pk in ids]).order_by("pk"))
    key_of = {pk: key for key, ids in chunk.items() for pk in ids}
    applications = defaultdict(list)
    for application in locked:
        applications[key_of[application.pk]].append(application)
    results, batch = [], []
    for key in chunk:
        planned = NightOrder(cohort_id=key[0], type=key[1], basis=key[2])
        results.append(planned)
        if key in looked_up.generated:
            planned.skipped = _("уже сформирован этой ночью")
            continue
        order = _order(key, looked_up, night)
        # The night's own rules: the statuses were selected just now, so only a race can refuse one.
        ready = [a for a in applications[key] if not assignment_refusals(order, [a], today=night)]
        if ready:
            # The PDF's row first, so that the order is written once, pointing at it.
            order.document = _document_new(order=order, actor=None)
            batch.append((planned, order, ready))
    if not batch:
        return results
    Order.objects.bulk_create([order for _planned, order, _ready in batch])
    comment = _("Сформирован автоматически в ночь на %(night)s") % {"night": f"{night:%d.%m.%Y}"}
    OrderEvent.objects.bulk_create([OrderEvent(subject=order, actor=None, transition="generate", comment=comment)
                                    for _planned, order, _ready in batch])
    apply_orders([(order, ready) for _planned, order, ready in batch], actor=None, fix_mode=False)
    for planned, order, ready in batch:
        participation = (order.cohort.program.campaign_id, order.partner_id)
        if participation in participations and not participations[participation][1] and participation not in fixed:
            # The partner's first order in the campaign fixes its order mode (apply_order's rule, once a night).
            participation_order_mode_fix(participation=CampaignParticipation(pk=participations[participation][0]))
            fixed.add(participation)
        _document_enqueue(order.document)
        planned.number, planned.order_id = order.number, order.pk
        planned.rr_numbers = sorted(a.rr_number for a in ready)
    return results


def _order(key: tuple, looked_up: _Chunk, night: dt.date) -> Order:
    """The night's (unsaved) order of the cohort's kind, with its number."""
    cohort_id, order_type, basis = key
    cohort = looked_up.cohorts[cohort_id]
    number, sequence = looked_up.next_number(key)
    return Order(partner=cohort.program.partner, cohort=cohort, type=order_type, basis=basis, number=number,
                 is_automatic=True, night=night, sequence=sequence, **_dates(cohort, order_type, basis, night))


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
    document = _document_new(order=order, actor=actor)
    Order.objects.filter(pk=order.pk).update(document=document)
    order.document = document
    _document_enqueue(document)
    return document


def _document_new(*, order: Order, actor) -> GeneratedDocument:
    return document_create(kind="order", title=f"{order} — {order.kind_display}", number=order.number, actor=actor)


def _document_enqueue(document: GeneratedDocument) -> None:
    from orders.tasks import order_render_task

    document_enqueue(document.pk, order_render_task)


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
