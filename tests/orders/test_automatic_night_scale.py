"""A night at national scale (issue #8: 5,000 cohorts in under a minute): the night's look-ups are
made once per chunk of cohorts, each order costs a constant handful of statements however many
cohorts the night has, and the guarantees stay — a failing cohort is rolled back alone, a failure
of a whole chunk costs nothing, the batched transitions write what one-by-one transitions wrote."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CampaignParticipation
from core.fsm import InvalidTransition, run_transition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationEvent
from orders.models import Order, OrderAssignment
from orders.services import automatic
from orders.services.automatic import automatic_orders_run
from orders.services.orders import apply_order
from tests.orders.factories import OrderFactory, applications_in, cohort_of, set_mode

pytestmark = pytest.mark.django_db
Status = Application.Status
Mode = CampaignParticipation.OrderMode
MSK = ZoneInfo("Europe/Moscow")
START = dt.date(2026, 9, 1)
PER_COHORT = 3
# Statements per order: its PDF's row and the row's render task (documents.services). The rest is
# per chunk of orders: the orders, their «generate» events, the assignments, the applications'
# UPDATE, their history rows, the e-mails.
QUERIES_PER_ORDER = 2


def _cohorts(partner, campaign, count: int, start: dt.date) -> list:
    cohorts = [cohort_of(partner, campaign, start=start, end=start + dt.timedelta(days=50)) for _ in range(count)]
    for cohort in cohorts:
        applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, PER_COHORT)
    set_mode(cohorts[0], Mode.AUTOMATIC)
    return cohorts


def _night(day: dt.date, capture=None):
    with time_machine.travel(dt.datetime.combine(day, dt.time(0, 30), tzinfo=MSK), tick=False):
        if capture is None:
            return automatic_orders_run(night=day)
        with CaptureQueriesContext(connection) as queries:
            orders = automatic_orders_run(night=day)
        capture.extend(queries.captured_queries)
        return orders


def test_each_order_of_a_night_costs_the_same_few_statements(partner_a, campaign):
    first, second = START, START + dt.timedelta(days=7)
    _cohorts(partner_a, campaign, 2, first)
    _cohorts(partner_a, campaign, 10, second)
    # The partner's first order fixes its order mode (a few statements, once): fixed beforehand.
    CampaignParticipation.objects.filter(partner=partner_a).update(order_mode_fixed_at=dt.datetime(2026, 8, 1,
                                                                                                   tzinfo=MSK))
    small, large = [], []
    assert len([o for o in _night(first, small) if o.order_id]) == 2
    assert len([o for o in _night(second, large) if o.order_id]) == 10

    assert (len(large) - len(small)) == 8 * QUERIES_PER_ORDER, [q["sql"][:80] for q in large]
    # The night's look-ups: the participations and the three kinds of candidates; per chunk its
    # savepoint (the test's transaction), cohorts, orders so far, numbers and applications, the six
    # writes above, and the release.
    assert len(small) == 4 + 5 + 6 + 1 + 2 * QUERIES_PER_ORDER
    assert Order.objects.count() == 12
    assert OrderAssignment.objects.count() == 12 * PER_COHORT
    assert set(Application.objects.values_list("status", flat=True)) == {Status.STUDYING}
    assert ApplicationEvent.objects.filter(transition="enrol").count() == 12 * PER_COHORT
    assert OutgoingEmail.objects.count() == 12 * PER_COHORT


def test_chunks_of_cohorts_generate_every_order_once(partner_a, campaign, monkeypatch):
    monkeypatch.setattr(automatic, "CHUNK", 2)
    cohorts = _cohorts(partner_a, campaign, 5, START)
    orders = _night(START)
    assert sorted(o.cohort_id for o in orders if o.order_id) == sorted(c.pk for c in cohorts)
    assert {o.number for o in orders} == {f"ОП{partner_a.pk}-{c.pk}-ПЗ" for c in cohorts}
    assert _night(START) == []  # idempotent
    assert Order.objects.count() == 5


def test_a_failing_cohort_is_rolled_back_alone(partner_a, campaign, monkeypatch,
                                               django_capture_on_commit_callbacks):
    monkeypatch.setattr(automatic, "CHUNK", 3)
    cohorts = _cohorts(partner_a, campaign, 5, START)
    broken = cohorts[1]
    real_apply = automatic.apply_orders

    def apply_or_fail(batch, **kwargs):
        real_apply(batch, **kwargs)  # written, then rolled back
        if broken.pk in {order.cohort_id for order, _applications in batch}:
            raise RuntimeError("сбой")

    monkeypatch.setattr(automatic, "apply_orders", apply_or_fail)
    with django_capture_on_commit_callbacks() as callbacks:
        orders = _night(START)
    failed = [o for o in orders if o.error]
    assert [(o.cohort_id, o.error, o.number, o.order_id) for o in failed] == [
        (broken.pk, "RuntimeError: сбой", "", None)]
    assert sorted(o.cohort_id for o in orders if o.order_id) == sorted(c.pk for c in cohorts if c != broken)
    assert not Order.objects.filter(cohort=broken).exists()
    assert set(Application.objects.filter(cohort=broken).values_list("status", flat=True)) == {
        Status.ENROLMENT_ORDER_REQUIRED}
    assert not ApplicationEvent.objects.filter(subject__cohort=broken).exists()
    assert OutgoingEmail.objects.count() == 4 * PER_COHORT
    assert GeneratedDocument.objects.count() == 4
    # The first chunk (three cohorts) failed and was generated order by order: its two good orders
    # queue their PDF and their e-mails each; the second chunk its two PDFs and its e-mails together.
    assert len(callbacks) == 2 * 2 + 2 + 1

    # The next run of the night, once the cause is gone, generates it (and only it).
    monkeypatch.setattr(automatic, "apply_orders", real_apply)
    [again] = [o for o in _night(START) if o.order_id]
    assert again.cohort_id == broken.pk
    assert Order.objects.count() == 5


def test_a_chunk_that_fails_outside_its_orders_is_generated_order_by_order(partner_a, campaign, monkeypatch):
    monkeypatch.setattr(automatic, "CHUNK", 10)
    cohorts = _cohorts(partner_a, campaign, 3, START)
    real_load, calls = automatic._Chunk.load, []

    def load(keys, night, *, lock):
        calls.append(len(keys))
        if len(keys) > 1:
            raise RuntimeError("соединение прервано")
        return real_load(keys, night, lock=lock)

    monkeypatch.setattr(automatic._Chunk, "load", load)
    orders = _night(START)
    assert calls == [3, 1, 1, 1]
    assert sorted(o.cohort_id for o in orders if o.order_id) == sorted(c.pk for c in cohorts)
    assert not any(o.error for o in orders)
    assert Order.objects.count() == 3


def test_numbers_typed_by_hand_are_skipped_beyond_the_ones_looked_up(partner_a, campaign, monkeypatch):
    [cohort] = _cohorts(partner_a, campaign, 1, START)
    monkeypatch.setattr(automatic, "NUMBERS_LOOKED_UP", 1)
    base = f"ОП{partner_a.pk}-{cohort.pk}-ПЗ"
    for number in (base, f"{base}-2", f"{base}-3"):
        OrderFactory(cohort=cohort, type=Order.Type.EXTENSION, number=number)
    [planned] = automatic_orders_run(night=START, dry_run=True)
    assert planned.number == f"{base}-4"
    [planned] = _night(START)
    assert (planned.number, Order.objects.get(pk=planned.order_id).sequence) == (f"{base}-4", 4)


@pytest.mark.parametrize("kind", ["enrolment", "own_request", "failure", "qualification"])
def test_the_batched_transitions_write_what_run_transition_writes(partner_a, campaign, kind):
    """apply_order moves an order's applications with one UPDATE: the rows and history equal those
    core.fsm.run_transition writes one application at a time."""
    status, order_type, basis = {
        "enrolment": (Status.ENROLMENT_ORDER_REQUIRED, Order.Type.ENROLMENT, ""),
        "own_request": (Status.OWN_REQUEST_ORDER_REQUIRED, Order.Type.EXPULSION, Order.Basis.OWN_REQUEST),
        "failure": (Status.FAILURE_ORDER_REQUIRED, Order.Type.EXPULSION, Order.Basis.FAILURE),
        "qualification": (Status.COMPLETION_ORDER_REQUIRED, Order.Type.EXPULSION, Order.Basis.QUALIFICATION),
    }[kind]
    cohort = cohort_of(partner_a, campaign, start=START, end=START + dt.timedelta(days=50))
    batched, single = applications_in(cohort, status, 2), applications_in(cohort, status, 1)[0]
    order = OrderFactory(cohort=cohort, type=order_type, basis=basis, order_date=START + dt.timedelta(days=60),
                         expelled_on=None if kind == "enrolment" else START + dt.timedelta(days=50))
    name = {"enrolment": "enrol", "qualification": "complete"}.get(kind, "expel")
    arguments = {"enrolment": {}, "qualification": {"on": order.expelled_on}}.get(
        kind, {"reason": kind, "on": order.expelled_on})
    moment = dt.datetime(2026, 11, 1, 3, tzinfo=MSK)
    before = {a.pk: _row(a) for a in [*batched, single]}
    with time_machine.travel(moment, tick=False):
        apply_order(order, list(Application.objects.select_related("citizen", "program", "cohort")
                                .filter(pk__in=[a.pk for a in batched])), actor=None)
        run_transition(single, name, actor=None, comment="x", **arguments)

    expected = _changes(before[single.pk], _row(single))
    assert expected["updated_at"] == moment
    assert expected["status"] != status
    for application in batched:
        assert _changes(before[application.pk], _row(application)) == expected
        event = ApplicationEvent.objects.get(subject=application)
        assert (event.transition, event.source, event.target, event.actor) == (name, status, expected["status"], None)
    assert OutgoingEmail.objects.count() == 2


def _row(application) -> dict:
    return Application.objects.filter(pk=application.pk).values().get()


def _changes(before: dict, after: dict) -> dict:
    return {name: value for name, value in after.items() if before[name] != value}


def test_a_batched_transition_that_the_fsm_refuses_is_refused_in_russian(partner_a, campaign):
    cohort = cohort_of(partner_a, campaign, start=START, end=START + dt.timedelta(days=50))
    applications = applications_in(cohort, Status.STUDYING, 1)
    order = OrderFactory(cohort=cohort)
    with pytest.raises(InvalidTransition, match="Действие «Зачислить» недоступно в статусе «Обучение»."):
        apply_order(order, applications, actor=None)
