"""Two staff assigning two different enrolment orders to the same application at the same moment
(PostgreSQL, two connections): the application row is locked, so the second waits, then finds it
already in training and is refused; the application has exactly one enrolment order."""
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from enrollment.models import Application, ApplicationEvent
from orders.models import Order, OrderAssignment
from orders.services.orders import Requisites, order_assign, order_create
from tests.factories import MembershipFactory, UserFactory
from tests.orders.factories import applications_in, cohort_of

Status = Application.Status
START = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 3, 1)


def _orders(staff, cohort) -> list[Order]:
    with time_machine.travel(dt.datetime(2026, 2, 27, 10, tzinfo=ZoneInfo("Europe/Moscow")), tick=False):
        return [order_create(actor=staff, cohort=cohort, requisites=Requisites(
            type=Order.Type.ENROLMENT, number=number, order_date=dt.date(2026, 2, 27))) for number in ("15-З", "16-З")]


def _outcome(call) -> str:
    try:
        call()
    except ValidationError as error:
        return error.messages[0]
    return "ok"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_second_assignment_waits_for_the_first_and_is_refused(partner_a, campaign, staff_a):
    other_staff = MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a2@example.org")).user
    cohort = cohort_of(partner_a, campaign, start=START)
    application = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    first_order, second_order = _orders(staff_a, cohort)
    assigned, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                order_assign(actor=staff_a, order=first_order, application_ids=[application.pk], today=TODAY)
                assigned.set()
                release_first.wait(10)
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            results["second"] = _outcome(lambda: order_assign(actor=other_staff, order=second_order,
                                                              application_ids=[application.pk], today=TODAY))
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert assigned.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second assignment waits for the first one's row lock"
    release_first.set()
    one.join(10)
    two.join(10)

    assert results["first"] == "ok"
    assert results["second"].startswith(f"Заявка {application.rr_number}")
    assert "в статусе «Обучение»" in results["second"]
    assert list(OrderAssignment.objects.values_list("order", "application")) == [(first_order.pk, application.pk)]
    application.refresh_from_db()
    assert application.status == Status.STUDYING
    assert application.events.filter(transition="enrol").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_assignments_with_a_barrier_end_with_one(partner_a, campaign, staff_a):
    other_staff = MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a3@example.org")).user
    cohort = cohort_of(partner_a, campaign, start=START)
    applications = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 3)
    orders = _orders(staff_a, cohort)
    start = threading.Barrier(2)
    outcomes = []
    lock = threading.Lock()

    def worker(user, order):
        try:
            start.wait(10)
            # Opposite id orders: the service locks the rows sorted, so no deadlock.
            ids = [a.pk for a in (applications if order == orders[0] else reversed(applications))]
            outcome = _outcome(lambda: order_assign(actor=user, order=order, application_ids=ids, today=TODAY))
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=args) for args in ((staff_a, orders[0]), (other_staff, orders[1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcomes.count("ok") == 1
    assert len(outcomes) == 2
    assert OrderAssignment.objects.count() == 3
    assert OrderAssignment.objects.values("order").distinct().count() == 1
    assert set(Application.objects.values_list("status", flat=True)) == {Status.STUDYING}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_the_same_night_generate_each_order_once(partner_a, campaign, monkeypatch):
    """The beat and a hand run of the same night at once, over several chunks of cohorts: the
    cohorts' row locks make the second wait for each chunk and then find its orders generated."""
    from accounts.models import CampaignParticipation
    from orders.services import automatic
    from tests.orders.factories import set_mode

    monkeypatch.setattr(automatic, "CHUNK", 2)
    cohorts = [cohort_of(partner_a, campaign, start=START) for _ in range(5)]
    for cohort in cohorts:
        applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 2)
    set_mode(cohorts[0], CampaignParticipation.OrderMode.AUTOMATIC)
    start = threading.Barrier(2)
    runs = []
    lock = threading.Lock()

    def run():
        try:
            start.wait(10)
            outcome = automatic.automatic_orders_run(night=START)
            with lock:
                runs.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(runs) == 2
    outcomes = [o for outcome in runs for o in outcome]
    assert not [o.error for o in outcomes if o.error]
    assert sorted(o.cohort_id for o in outcomes if o.order_id) == sorted(c.pk for c in cohorts)
    assert Order.objects.filter(is_automatic=True).count() == 5
    assert OrderAssignment.objects.count() == 10
    assert set(Application.objects.values_list("status", flat=True)) == {Status.STUDYING}
    assert ApplicationEvent.objects.filter(transition="enrol").count() == 10
