"""The РР re-keying dashboard (reference §4.5; seed 002): staff tick orders and qualification
documents entered on Работа России; the dashboard lists what is still open per block, flags items
older than PORTAL_REKEY_WORKING_DAYS working days, and the operator sees the backlog per partner.
Also the calendar helper the deadlines are computed with."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.calendar import add_working_days, add_working_days_to_each, is_working_day
from core.models import WorkingDayOverride
from enrollment.models import Application, ApplicationEvent, QualificationDocument
from orders.models import Order, OrderAssignment, OrderEvent
from orders.selectors import portal_backlog_by_partner, portal_dashboard, portal_deadline
from orders.services.orders import Requisites, order_assign, order_create
from orders.services.portal import portal_mark_entered, portal_mark_qualifications_entered
from tests.orders.factories import applications_in, cohort_of

pytestmark = pytest.mark.django_db
Status = Application.Status
Type, Basis = Order.Type, Order.Basis
MSK = ZoneInfo("Europe/Moscow")
START, END = dt.date(2026, 3, 2), dt.date(2026, 4, 30)
# Monday 02.03.2026, the start day: the orders are assigned then.
ASSIGNED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=MSK)


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=MSK)


def _order(actor, cohort, applications, order_type=Type.ENROLMENT, number="15-З", basis="", when=ASSIGNED) -> Order:
    """An order of the cohort assigned to the applications at `when`."""
    expulsion = order_type == Type.EXPULSION
    requisites = Requisites(type=order_type, number=number, order_date=START, basis=basis,
                            expelled_on=dt.date(2026, 4, 30) if expulsion else None)
    with time_machine.travel(when, tick=False):
        order = order_create(actor=actor, cohort=cohort, requisites=requisites)
        order_assign(actor=actor, order=order, application_ids=[a.pk for a in applications])
    return order


def _qualification(cohort, number="0001234", when=ASSIGNED) -> QualificationDocument:
    application = applications_in(cohort, Status.QUALIFICATION_SCAN_REQUIRED, result=Application.Result.SUCCESSFUL)[0]
    with time_machine.travel(when, tick=False):
        return QualificationDocument.objects.create(application=application, series="700001", number=number,
                                                    registration_number="ПК-15", issued_on=END)


class World:
    """Partner A: an enrolment order of three, a failure order of one, an extension order of one and a
    qualification document; partner B: an enrolment order of two."""

    def __init__(self, partner_a, partner_b, campaign, staff_a, staff_b):
        self.cohort = cohort_of(partner_a, campaign, start=START, end=END)
        self.enrolled = applications_in(self.cohort, Status.ENROLMENT_ORDER_REQUIRED, 3)
        self.enrolment = _order(staff_a, self.cohort, self.enrolled)
        self.failed = applications_in(self.cohort, Status.FAILURE_ORDER_REQUIRED,
                                      result=Application.Result.UNSUCCESSFUL)
        self.expulsion = _order(staff_a, self.cohort, self.failed, Type.EXPULSION, "16-О", Basis.FAILURE)
        self.extended = applications_in(self.cohort, Status.STUDYING)
        self.extension = _order(staff_a, self.cohort, self.extended, Type.EXTENSION, "17-П")
        self.qualification = _qualification(self.cohort)
        self.cohort_b = cohort_of(partner_b, campaign, start=START, end=END)
        self.enrolled_b = applications_in(self.cohort_b, Status.ENROLMENT_ORDER_REQUIRED, 2)
        self.enrolment_b = _order(staff_b, self.cohort_b, self.enrolled_b, number="15-З")

    def lines(self, order: Order) -> list[OrderAssignment]:
        return list(order.assignments.order_by("pk"))


@pytest.fixture
def world(partner_a, partner_b, campaign, staff_a, staff_b) -> World:
    return World(partner_a, partner_b, campaign, staff_a, staff_b)


def _entered() -> set[int]:
    return set(OrderAssignment.objects.filter(rr_entered_at__isnull=False).values_list("pk", flat=True))


# Ticking orders entered on РР ----------------------------------------------------------------

def test_staff_tick_assignments_entered_one_by_one(world, staff_a):
    first, second, _third = world.lines(world.enrolment)
    first_tick, second_tick = at(dt.date(2026, 3, 3), 11), at(dt.date(2026, 3, 4), 9)
    with time_machine.travel(first_tick, tick=False):
        assert portal_mark_entered(actor=staff_a, assignment_ids=[first.pk]) == 1
    with time_machine.travel(second_tick, tick=False):
        assert portal_mark_entered(actor=staff_a, assignment_ids=[str(first.pk), str(second.pk)]) == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.rr_entered_at, first.rr_entered_by) == (first_tick, staff_a)
    assert (second.rr_entered_at, second.rr_entered_by) == (second_tick, staff_a)
    world.enrolment.refresh_from_db()
    assert world.enrolment.rr_entered_at == first_tick  # the first tick freezes the order
    assert world.enrolment.is_frozen
    assert list(world.enrolment.events.filter(transition="portal_entered").order_by("pk")
                .values_list("actor", "comment", "created_at")) == [
        (staff_a.pk, "Внесён на РР для заявок: 1", first_tick), (staff_a.pk, "Внесён на РР для заявок: 1", second_tick)]
    assert _entered() == {first.pk, second.pk}


def test_staff_tick_a_whole_order(world, staff_a):
    first = world.lines(world.enrolment)[0]
    portal_mark_entered(actor=staff_a, assignment_ids=[first.pk])
    assert portal_mark_entered(actor=staff_a, order=world.enrolment) == 2
    assert _entered() == {line.pk for line in world.lines(world.enrolment)}
    events = world.enrolment.events.filter(transition="portal_entered").order_by("pk")
    assert [event.comment for event in events] == ["Внесён на РР для заявок: 1", "Внесён на РР для заявок: 2"]
    assert portal_mark_entered(actor=staff_a, order=world.enrolment) == 0
    assert world.enrolment.events.filter(transition="portal_entered").count() == 2
    world.expulsion.refresh_from_db()
    assert world.expulsion.rr_entered_at is None


def test_one_tick_spanning_two_orders_writes_an_event_each(world, staff_a):
    lines = [world.lines(world.enrolment)[0], world.lines(world.expulsion)[0]]
    assert portal_mark_entered(actor=staff_a, assignment_ids=[line.pk for line in lines]) == 2
    for order in (world.enrolment, world.expulsion):
        order.refresh_from_db()
        assert order.rr_entered_at is not None
        assert order.events.get(transition="portal_entered").comment == "Внесён на РР для заявок: 1"


def test_extension_orders_are_never_ticked(world, staff_a):
    [line] = world.lines(world.extension)
    assert portal_mark_entered(actor=staff_a, assignment_ids=[line.pk]) == 0
    assert portal_mark_entered(actor=staff_a, order=world.extension) == 0
    line.refresh_from_db()
    world.extension.refresh_from_db()
    assert (line.rr_entered_at, world.extension.rr_entered_at) == (None, None)
    assert not world.extension.events.filter(transition="portal_entered").exists()
    assert line not in OrderAssignment.objects.open_on_portal()


def test_nothing_to_tick_is_refused(world, staff_a):
    with pytest.raises(ValidationError) as error:
        portal_mark_entered(actor=staff_a, assignment_ids=[])
    assert error.value.code == "empty"


@pytest.mark.parametrize("persona", ["staff_b", "operator_reviewer", "employment_reviewer"])
def test_only_the_partners_staff_tick_its_orders(world, personas, persona):
    actor = personas[persona]
    own_b = world.lines(world.enrolment_b)[0]
    with pytest.raises(PermissionDenied):
        portal_mark_entered(actor=actor, assignment_ids=[world.lines(world.enrolment)[0].pk, own_b.pk])
    with pytest.raises(PermissionDenied):
        portal_mark_entered(actor=actor, order=world.enrolment)
    assert _entered() == set()
    assert not Order.objects.filter(rr_entered_at__isnull=False).exists()
    assert not OrderEvent.objects.filter(transition="portal_entered").exists()


def test_staff_of_partner_b_tick_their_own(world, staff_b):
    assert portal_mark_entered(actor=staff_b, order=world.enrolment_b) == 2
    assert _entered() == {line.pk for line in world.lines(world.enrolment_b)}


# Ticking qualification documents ---------------------------------------------------------------

def test_staff_tick_qualification_documents_entered(world, staff_a):
    document = world.qualification
    tick = at(dt.date(2026, 5, 20), 10)
    with time_machine.travel(tick, tick=False):
        assert portal_mark_qualifications_entered(actor=staff_a, document_ids=[document.pk]) == 1
    document.refresh_from_db()
    assert (document.rr_entered_at, document.rr_entered_by) == (tick, staff_a)
    event = ApplicationEvent.objects.get(subject=document.application, transition="qualification_portal_entered")
    assert (event.actor, event.comment, event.created_at) == (staff_a, "Документ 700001 0001234 внесён на РР", tick)
    assert event.source == event.target == Status.QUALIFICATION_SCAN_REQUIRED
    assert portal_mark_qualifications_entered(actor=staff_a, document_ids=[document.pk]) == 0


@pytest.mark.parametrize("persona", ["staff_b", "operator_reviewer"])
def test_only_the_partners_staff_tick_its_qualification_documents(world, personas, persona):
    with pytest.raises(PermissionDenied):
        portal_mark_qualifications_entered(actor=personas[persona], document_ids=[world.qualification.pk])
    world.qualification.refresh_from_db()
    assert world.qualification.rr_entered_at is None
    assert not ApplicationEvent.objects.filter(transition="qualification_portal_entered").exists()


# The dashboard -----------------------------------------------------------------------------------

def _blocks(dashboard) -> dict:
    return {
        "enrolment": [(item.order.pk, [line.pk for line in item.lines]) for item in dashboard.enrolment],
        "expulsion": [(item.order.pk, [line.pk for line in item.lines]) for item in dashboard.expulsion],
        "qualifications": [document.pk for document in dashboard.qualifications],
    }


def test_the_dashboard_lists_open_items_per_block(world, staff_a):
    enrolment = [line.pk for line in world.lines(world.enrolment)]
    expulsion = [line.pk for line in world.lines(world.expulsion)]
    with time_machine.travel(at(dt.date(2026, 3, 3)), tick=False):
        dashboard = portal_dashboard(staff_a)
    assert _blocks(dashboard) == {"enrolment": [(world.enrolment.pk, enrolment)],
                                  "expulsion": [(world.expulsion.pk, expulsion)],
                                  "qualifications": [world.qualification.pk]}
    assert dashboard.total == 5
    assert not dashboard.truncated

    portal_mark_entered(actor=staff_a, assignment_ids=enrolment[:1])
    portal_mark_entered(actor=staff_a, order=world.expulsion)
    portal_mark_qualifications_entered(actor=staff_a, document_ids=[world.qualification.pk])
    assert _blocks(portal_dashboard(staff_a)) == {"enrolment": [(world.enrolment.pk, enrolment[1:])],
                                                  "expulsion": [], "qualifications": []}
    portal_mark_entered(actor=staff_a, order=world.enrolment)
    assert portal_dashboard(staff_a).total == 0


def test_staff_see_only_their_partners_items_and_the_operator_all(world, staff_b, operator_reviewer, partner_a):
    assert _blocks(portal_dashboard(staff_b)) == {
        "enrolment": [(world.enrolment_b.pk, [line.pk for line in world.lines(world.enrolment_b)])],
        "expulsion": [], "qualifications": []}
    everything = portal_dashboard(operator_reviewer)
    assert {item.order.pk for item in everything.enrolment} == {world.enrolment.pk, world.enrolment_b.pk}
    assert everything.total == 7
    assert portal_dashboard(operator_reviewer, partner=partner_a).total == 5
    assert world.extension.pk not in {item.order.pk for item in everything.enrolment + everything.expulsion}


def test_the_dashboard_never_lists_extension_orders(world, staff_a):
    dashboard = portal_dashboard(staff_a)
    orders = {item.order.pk for item in dashboard.enrolment + dashboard.expulsion}
    assert world.extension.pk not in orders
    assert {item.order.type for item in dashboard.enrolment + dashboard.expulsion} == {Type.ENROLMENT, Type.EXPULSION}


def test_items_older_than_the_re_keying_deadline_are_overdue(partner_a, campaign, staff_a, settings):
    """Assigned on Monday 02.03.2026; three working days later is Thursday 05.03: overdue from Friday."""
    settings.PORTAL_REKEY_WORKING_DAYS = 3
    cohort = cohort_of(partner_a, campaign, start=START, end=END)
    old = _order(staff_a, cohort, applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED))
    # Tuesday 00:15 Moscow time is still Monday in UTC: the Moscow date counts.
    fresh = _order(staff_a, cohort, applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED), number="16-З",
                   when=at(START, 23, 50))
    late_night = _order(staff_a, cohort, applications_in(cohort, Status.FAILURE_ORDER_REQUIRED,
                                                         result=Application.Result.UNSUCCESSFUL),
                        Type.EXPULSION, "17-О", Basis.FAILURE, when=at(dt.date(2026, 3, 3), 0, 15))
    qualification = _qualification(cohort, when=at(dt.date(2026, 3, 3), 0, 15))
    assert portal_deadline(START) == dt.date(2026, 3, 5)
    assert portal_deadline(dt.date(2026, 3, 3)) == dt.date(2026, 3, 6)

    def flags(day):
        with time_machine.travel(at(day), tick=False):
            dashboard = portal_dashboard(staff_a)
        items = {item.order.pk: item for item in dashboard.enrolment + dashboard.expulsion}
        [document] = dashboard.qualifications
        return ({pk: item.is_overdue for pk, item in items.items()}
                | {"qualification": document.is_overdue, "deadline": items[old.pk].lines[0].deadline})

    assert flags(dt.date(2026, 3, 5)) == {old.pk: False, fresh.pk: False, late_night.pk: False,
                                          "qualification": False, "deadline": dt.date(2026, 3, 5)}
    assert flags(dt.date(2026, 3, 6)) == {old.pk: True, fresh.pk: True, late_night.pk: False,
                                          "qualification": False, "deadline": dt.date(2026, 3, 5)}
    assert flags(dt.date(2026, 3, 10)) == {old.pk: True, fresh.pk: True, late_night.pk: True,
                                           "qualification": True, "deadline": dt.date(2026, 3, 5)}
    assert qualification.pk == portal_dashboard(staff_a).qualifications[0].pk


def test_the_deadline_follows_the_setting_and_the_calendar(partner_a, campaign, staff_a, settings):
    """Five working days from Monday 02.03.2026: 09.03 is the Women's Day holiday, so Tuesday 10.03."""
    settings.PORTAL_REKEY_WORKING_DAYS = 5
    cohort = cohort_of(partner_a, campaign, start=START, end=END)
    order = _order(staff_a, cohort, applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED))
    for day, overdue in ((dt.date(2026, 3, 10), False), (dt.date(2026, 3, 11), True)):
        [item] = portal_dashboard(staff_a, today=day).enrolment
        assert (item.order, item.lines[0].deadline, item.is_overdue) == (order, dt.date(2026, 3, 10), overdue)
    WorkingDayOverride.objects.create(date=dt.date(2026, 3, 9), is_working=True, note="Перенос")
    [item] = portal_dashboard(staff_a, today=dt.date(2026, 3, 10)).enrolment
    assert (item.lines[0].deadline, item.is_overdue) == (dt.date(2026, 3, 9), True)


def test_the_dashboard_runs_a_fixed_number_of_queries(partner_a, campaign, staff_a, django_assert_num_queries):
    cohort = cohort_of(partner_a, campaign, start=START, end=END)
    _order(staff_a, cohort, applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED))
    _qualification(cohort)
    staff_a.access  # noqa: B018 - the memberships are read once per request, not per dashboard
    with django_assert_num_queries(3):
        small = portal_dashboard(staff_a)
    _order(staff_a, cohort, applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 5), number="16-З",
           when=at(dt.date(2026, 2, 20)))
    _qualification(cohort, number="0001235", when=at(dt.date(2026, 2, 10)))
    with django_assert_num_queries(3):
        large = portal_dashboard(staff_a)
    assert (small.total, large.total) == (2, 8)


# The operator's backlog per partner ------------------------------------------------------------

def test_the_operator_sees_the_backlog_per_partner(world, operator_reviewer, partner_a, partner_b, staff_b):
    _qualification(world.cohort_b, number="0009999")
    portal_mark_entered(actor=staff_b, order=world.enrolment_b)
    assert portal_backlog_by_partner(operator_reviewer) == [
        {"partner_id": partner_a.pk, "partner": "Партнёр А", "enrolment": 3, "expulsion": 1, "qualifications": 1,
         "total": 5},
        {"partner_id": partner_b.pk, "partner": "Партнёр Б", "enrolment": 0, "expulsion": 0, "qualifications": 1,
         "total": 1},
    ]


def test_staff_see_only_their_own_backlog(world, staff_a, staff_b, partner_b):
    assert [row["partner_id"] for row in portal_backlog_by_partner(staff_b)] == [partner_b.pk]
    assert portal_backlog_by_partner(staff_b)[0]["enrolment"] == 2
    assert [row["total"] for row in portal_backlog_by_partner(staff_a)] == [5]


# The calendar helper ----------------------------------------------------------------------------

def _naive_add(day: dt.date, n: int, working) -> dt.date:
    """Walk one day at a time (an independent reference implementation)."""
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        remaining -= working(day)
    return day


@pytest.fixture
def overrides(db):
    WorkingDayOverride.objects.bulk_create([
        WorkingDayOverride(date=dt.date(2026, 12, 16), is_working=False, note="Региональный выходной"),
        WorkingDayOverride(date=dt.date(2026, 12, 19), is_working=True, note="Рабочая суббота"),
        WorkingDayOverride(date=dt.date(2027, 1, 8), is_working=True, note="Перенос"),
        WorkingDayOverride(date=dt.date(2026, 3, 9), is_working=True, note="Перенос"),
    ])


@pytest.mark.parametrize("n", [-25, -7, -3, -1, 0, 1, 2, 3, 5, 10, 40])
def test_add_working_days_to_each_agrees_with_add_working_days(overrides, n):
    days = [dt.date(2026, 12, 1) + dt.timedelta(days=k) for k in range(50)]
    days += [dt.date(2026, 2, 20), dt.date(2026, 3, 6), dt.date(2026, 3, 7), dt.date(2026, 5, 8), dt.date(2026, 11, 3)]
    calendar = {}

    def working(day):
        if day not in calendar:
            calendar[day] = is_working_day(day)
        return calendar[day]

    results = add_working_days_to_each(days, n)
    assert set(results) == set(days)
    for day in days:
        assert results[day] == add_working_days(day, n) == _naive_add(day, n, working), day


def test_the_overrides_and_holidays_are_honoured(overrides):
    results = add_working_days_to_each([dt.date(2026, 12, 15), dt.date(2026, 12, 30), dt.date(2026, 3, 6)], 1)
    assert results == {
        dt.date(2026, 12, 15): dt.date(2026, 12, 17),  # 16.12 made a day off
        dt.date(2026, 12, 30): dt.date(2027, 1, 8),  # 31.12 and the New Year break off; 08.01 made working
        dt.date(2026, 3, 6): dt.date(2026, 3, 9),  # the holiday 09.03 made working
    }
    assert add_working_days_to_each([dt.date(2026, 12, 18)], 1) == {dt.date(2026, 12, 18): dt.date(2026, 12, 19)}


@pytest.mark.parametrize("n", [-20, -1, 1, 3, 30])
def test_add_working_days_to_each_reads_the_overrides_once(overrides, django_assert_num_queries, n):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=k * 7) for k in range(53)]
    with django_assert_num_queries(1):
        results = add_working_days_to_each(days, n)
    assert len(results) == 53


def test_add_working_days_to_each_with_nothing_to_do_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert add_working_days_to_each([], 3) == {}
        assert add_working_days_to_each([dt.date(2026, 3, 7)] * 2, 0) == {dt.date(2026, 3, 7): dt.date(2026, 3, 7)}


def test_add_working_days_to_each_refuses_datetimes():
    with pytest.raises(TypeError):
        add_working_days_to_each([dt.datetime(2026, 3, 2, 10, tzinfo=MSK)], 1)
