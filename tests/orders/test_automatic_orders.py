"""Automatic orders (reference §4.2 automatic mode, §4.3 numbering): at 00:30 Moscow time Flow
generates, per cohort of a partner in automatic mode, the enrolment order on the start night, an
own-request expulsion order for the requests approved before the night's cut-off, and the failure
and completion orders from the night after the end. A night run twice creates nothing new."""
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from accounts.models import CampaignParticipation
from core.imports import ImportResult
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationEvent, WithdrawalRequest
from enrollment.services.results import results_lookup, results_record
from enrollment.services.withdrawals import withdrawal_decide, withdrawal_request_file
from orders.models import Order, OrderAssignment, OrderEvent
from orders.services.automatic import automatic_orders_run, night_cutoff
from orders.services.orders import Requisites, order_assign, order_create
from orders.tasks import automatic_orders_task
from programs.services.odin import TrainingResult
from tests.enrollment.test_application_support import pdf_upload
from tests.factories import CampaignFactory
from tests.orders.factories import applications_in, cohort_of, set_mode

pytestmark = pytest.mark.django_db
Status = Application.Status
Type, Basis = Order.Type, Order.Basis
Mode = CampaignParticipation.OrderMode
MSK = ZoneInfo("Europe/Moscow")
# A cohort from Tuesday 01.09.2026 to Friday 30.10.2026.
START, END = dt.date(2026, 9, 1), dt.date(2026, 10, 30)
ONE_DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=MSK)


@pytest.fixture
def alpha(partner_a):
    partner_a.document_prefix = "АЛЬФА"
    partner_a.save()
    return partner_a


@pytest.fixture
def cohort(alpha, campaign):
    cohort = cohort_of(alpha, campaign, start=START, end=END)
    set_mode(cohort, Mode.AUTOMATIC)
    return cohort


@pytest.fixture
def night(django_capture_on_commit_callbacks):
    """Run a night at 00:30 Moscow time (or `clock`), rendering the PDFs queued on commit."""

    def run(day: dt.date, clock: dt.datetime | None = None, **kwargs):
        with time_machine.travel(clock or at(day, 0, 30), tick=False), \
                django_capture_on_commit_callbacks(execute=True):
            return automatic_orders_run(night=day, **kwargs)
    return run


def _citizens(cohort, status, *last_names, **kwargs) -> list[Application]:
    return [applications_in(cohort, status, citizen__last_name=name, **kwargs)[0] for name in last_names]


def _statuses(applications) -> list[str]:
    return list(Application.objects.filter(pk__in=[a.pk for a in applications]).order_by("pk")
                .values_list("status", flat=True))


def _pdf_text(order: Order) -> str:
    document = GeneratedDocument.objects.get(pk=order.document_id)
    assert document.status == GeneratedDocument.Status.READY, document.error
    text = " ".join(page.extract_text() for page in PdfReader(document.file.open()).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def _assert_lists_exactly(order: Order, included, excluded) -> None:
    """The order's PDF names every included citizen (full name, РР number) and nobody else."""
    text = _pdf_text(order)
    assert f"№ {order.number}" in text
    for application in included:
        assert application.citizen.full_name in text
        assert application.rr_number in text
    for application in excluded:
        assert application.citizen.last_name not in text
        assert application.rr_number not in text
    assert f"Всего слушателей: {len(included)}." in text
    assert "Сидоров Сидор Сидорович" in text  # the partner's signatory for orders


def _file_and_approve(application, staff, filed: dt.datetime, approved: dt.datetime) -> WithdrawalRequest:
    with time_machine.travel(filed, tick=False):
        request = withdrawal_request_file(application=application, files=[pdf_upload("zayavlenie.pdf")],
                                          actor=application.citizen.user)
    with time_machine.travel(approved, tick=False):
        return withdrawal_decide(request=request, actor=staff, approve=True)


def _results(successes=(), failures=(), on=END) -> None:
    """The learning platform's results arrive (through the Odin feed's backend)."""
    outcomes = [(a, True) for a in successes] + [(a, False) for a in failures]
    locked = results_lookup([a.rr_number for a, _ok in outcomes])
    results_record([(locked[a.rr_number], TrainingResult(row=i, rr_number=a.rr_number, successful=ok, date=on))
                    for i, (a, ok) in enumerate(outcomes, start=2)], ImportResult())


# Acceptance 2: one cohort's life ------------------------------------------------------------

def test_one_cohort_gets_its_orders_night_by_night(cohort, staff_a, night):
    enrolled = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Алексеев", "Борисов", "Васильев", "Григорьев",
                         "Дмитриев")
    waiting = _citizens(cohort, Status.AWAITING_AGREEMENT, "Ждановский")
    alexeev, borisov, vasiliev, grigoriev, dmitriev = enrolled

    # The night before the start: nothing yet.
    assert night(START - ONE_DAY) == []
    # The start night: one enrolment order of the whole cohort, dated the start.
    [planned] = night(START)
    order = Order.objects.get()
    assert planned.number == order.number == f"АЛЬФА-{cohort.pk}-ПЗ"
    assert planned.order_id == order.pk
    assert planned.rr_numbers == sorted(a.rr_number for a in enrolled)
    assert (order.type, order.basis, order.order_date, order.night, order.sequence) == (
        Type.ENROLMENT, "", START, START, 1)
    assert (order.is_automatic, order.created_by, order.partner_id) == (True, None, cohort.program.partner_id)
    assert _statuses(enrolled) == [Status.STUDYING] * 5
    assert _statuses(waiting) == [Status.AWAITING_AGREEMENT]
    assert ApplicationEvent.objects.filter(transition="enrol", actor=None).count() == 5
    assert order.events.get(transition="generate").comment == "Сформирован автоматически в ночь на 01.09.2026"
    assert OutgoingEmail.objects.filter(subject__contains="зачислены").count() == 5
    _assert_lists_exactly(order, enrolled, waiting)
    # The same night again (a redelivered beat, a hand run): nothing new.
    assert night(START, clock=at(START, 9)) == []
    assert Order.objects.count() == 1

    # Tuesday 15.09: Алексеев's request is approved at 15:00; Борисов's at 00:45 on Wednesday,
    # after Wednesday night's cut-off: it goes to Thursday night's order.
    day_x = dt.date(2026, 9, 15)
    _file_and_approve(alexeev, staff_a, at(day_x, 10), at(day_x, 15))
    [planned] = night(day_x + ONE_DAY)
    own = Order.objects.get(pk=planned.order_id)
    assert own.number == f"АЛЬФА-{cohort.pk}-ПОЗ"
    assert (own.type, own.basis, own.order_date, own.expelled_on) == (
        Type.EXPULSION, Basis.OWN_REQUEST, day_x + ONE_DAY, day_x + ONE_DAY)
    assert list(own.assignments.values_list("application", flat=True)) == [alexeev.pk]
    alexeev.refresh_from_db()
    assert (alexeev.status, alexeev.expulsion_reason) == (Status.EXPELLED, Application.ExpulsionReason.OWN_REQUEST)
    assert alexeev.withdrawal_requests.get().has_expulsion_order is True
    _assert_lists_exactly(own, [alexeev], [borisov, vasiliev, grigoriev, dmitriev])

    _file_and_approve(borisov, staff_a, at(day_x, 20), at(day_x + ONE_DAY, 0, 45))
    assert night(day_x + ONE_DAY, clock=at(day_x + ONE_DAY, 1)) == []
    [planned] = night(day_x + 2 * ONE_DAY)
    second = Order.objects.get(pk=planned.order_id)
    assert (second.number, second.sequence, second.night) == (f"АЛЬФА-{cohort.pk}-ПОЗ-2", 2, day_x + 2 * ONE_DAY)
    assert list(second.assignments.values_list("application", flat=True)) == [borisov.pk]
    _assert_lists_exactly(second, [borisov], [alexeev, vasiliev, grigoriev, dmitriev])
    assert night(day_x + 2 * ONE_DAY, clock=at(day_x + 2 * ONE_DAY, 9)) == []

    # The results arrive on the end date: nothing that night, the failure and completion orders
    # the night after; a second run creates nothing.
    with time_machine.travel(at(END, 18), tick=False):
        _results(successes=[vasiliev, grigoriev], failures=[dmitriev])
    assert night(END) == []
    orders = night(END + ONE_DAY)
    assert [(o.type, o.basis, o.number) for o in orders] == [
        (Type.EXPULSION, Basis.FAILURE, f"АЛЬФА-{cohort.pk}-ПОН"),
        (Type.EXPULSION, Basis.QUALIFICATION, f"АЛЬФА-{cohort.pk}-ПОК")]
    failure, completion = (Order.objects.get(pk=o.order_id) for o in orders)
    assert (failure.order_date, failure.expelled_on) == (END + ONE_DAY, END)
    assert (completion.order_date, completion.expelled_on) == (END + ONE_DAY, END)
    dmitriev.refresh_from_db()
    assert (dmitriev.status, dmitriev.expulsion_reason, dmitriev.expelled_on) == (
        Status.EXPELLED, Application.ExpulsionReason.FAILURE, END)
    assert _statuses([vasiliev, grigoriev]) == [Status.QUALIFICATION_DOC_REQUIRED] * 2
    _assert_lists_exactly(failure, [dmitriev], [alexeev, borisov, vasiliev, grigoriev])
    _assert_lists_exactly(completion, [vasiliev, grigoriev], [alexeev, borisov, dmitriev])
    assert night(END + ONE_DAY, clock=at(END + ONE_DAY, 10)) == []
    assert night(END + 2 * ONE_DAY) == []

    assert Order.objects.count() == 5
    assert OrderAssignment.objects.count() == 5 + 1 + 1 + 1 + 2
    assert set(GeneratedDocument.objects.values_list("status", flat=True)) == {GeneratedDocument.Status.READY}
    assert OrderEvent.objects.filter(transition="generate").count() == 5


def test_a_request_approved_after_the_cut_off_waits_for_the_next_night(cohort, staff_a, night):
    early, late = _citizens(cohort, Status.STUDYING, "Ранний", "Поздний")
    day_x = dt.date(2026, 9, 15)
    _file_and_approve(early, staff_a, at(day_x, 10), at(day_x, 15))
    _file_and_approve(late, staff_a, at(day_x, 11), at(day_x + ONE_DAY, 0, 45))
    assert night_cutoff(day_x + ONE_DAY) == at(day_x + ONE_DAY, 0, 30)

    # The night runs late (01:00), after both approvals: only the one before 00:30 is in it.
    [first] = night(day_x + ONE_DAY, clock=at(day_x + ONE_DAY, 1))
    assert (first.number, first.rr_numbers) == (f"АЛЬФА-{cohort.pk}-ПОЗ", [early.rr_number])
    assert _statuses([early, late]) == [Status.EXPELLED, Status.OWN_REQUEST_ORDER_REQUIRED]
    [second] = night(day_x + 2 * ONE_DAY)
    assert (second.number, second.rr_numbers) == (f"АЛЬФА-{cohort.pk}-ПОЗ-2", [late.rr_number])
    assert _statuses([late]) == [Status.EXPELLED]


def test_a_missed_night_is_caught_up(cohort, staff_a, night):
    application = _citizens(cohort, Status.STUDYING, "Пропущенный")[0]
    _file_and_approve(application, staff_a, at(dt.date(2026, 9, 14), 10), at(dt.date(2026, 9, 14), 15))
    [planned] = night(dt.date(2026, 9, 17))
    assert planned.rr_numbers == [application.rr_number]
    assert Order.objects.get().order_date == dt.date(2026, 9, 17)


def test_a_request_rejected_again_before_the_night_gets_no_order(cohort, staff_a, night):
    application = _citizens(cohort, Status.STUDYING, "Передумавший")[0]
    request = _file_and_approve(application, staff_a, at(dt.date(2026, 9, 15), 10), at(dt.date(2026, 9, 15), 15))
    with time_machine.travel(at(dt.date(2026, 9, 15), 16), tick=False):
        withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Передумал")
    assert night(dt.date(2026, 9, 16)) == []
    assert _statuses([application]) == [Status.STUDYING]


def test_the_end_of_training_orders_wait_for_the_night_after_the_end(cohort, night):
    done = _citizens(cohort, Status.STUDYING, "Успешный")[0]
    with time_machine.travel(at(END - 3 * ONE_DAY, 12), tick=False):
        _results(successes=[done], on=END - 3 * ONE_DAY)
    for day in (END - 2 * ONE_DAY, END - ONE_DAY, END):
        assert night(day) == []
    assert _statuses([done]) == [Status.COMPLETION_ORDER_REQUIRED]
    [planned] = night(END + ONE_DAY)
    assert planned.number == f"АЛЬФА-{cohort.pk}-ПОК"


def test_a_late_result_gets_a_supplementary_order(cohort, night):
    first, late = _citizens(cohort, Status.STUDYING, "Первый", "Запоздалый")
    with time_machine.travel(at(END, 12), tick=False):
        _results(successes=[first])
    [planned] = night(END + ONE_DAY)
    assert planned.rr_numbers == [first.rr_number]
    with time_machine.travel(at(END + 3 * ONE_DAY, 12), tick=False):
        _results(successes=[late], on=END + 3 * ONE_DAY)
    [planned] = night(END + 4 * ONE_DAY)
    assert (planned.number, planned.rr_numbers) == (f"АЛЬФА-{cohort.pk}-ПОК-2", [late.rr_number])
    assert Order.objects.get(pk=planned.order_id).sequence == 2


def test_orders_are_per_cohort(alpha, campaign, cohort, night):
    other = cohort_of(alpha, campaign, start=START, end=END)
    mine = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый")
    theirs = _citizens(other, Status.ENROLMENT_ORDER_REQUIRED, "Второй")
    orders = night(START)
    assert sorted((o.number, tuple(o.rr_numbers)) for o in orders) == sorted([
        (f"АЛЬФА-{cohort.pk}-ПЗ", (mine[0].rr_number,)), (f"АЛЬФА-{other.pk}-ПЗ", (theirs[0].rr_number,))])


def test_partners_in_manual_mode_get_nothing_automatic(partner_b, campaign, night):
    manual = cohort_of(partner_b, campaign, start=START, end=END)
    waiting = _citizens(manual, Status.ENROLMENT_ORDER_REQUIRED, "Ручной")
    assert night(START) == []
    assert not Order.objects.exists()
    assert _statuses(waiting) == [Status.ENROLMENT_ORDER_REQUIRED]


def test_the_mode_is_per_campaign(alpha, cohort, night):
    other_campaign = CampaignFactory(code="amsz-2027", year=2027, title="АМСЗ 2027")
    manual = cohort_of(alpha, other_campaign, start=START, end=END)
    assert set_mode(manual, Mode.MANUAL).campaign == other_campaign
    automatic = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Автоматический")
    waiting = _citizens(manual, Status.ENROLMENT_ORDER_REQUIRED, "Ручной")
    [planned] = night(START)
    assert planned.rr_numbers == [automatic[0].rr_number]
    assert _statuses(waiting) == [Status.ENROLMENT_ORDER_REQUIRED]


def test_a_dry_run_creates_nothing_but_tells_the_numbers(cohort, night):
    enrolled = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый", "Второй")
    [planned] = night(START, dry_run=True)
    assert (planned.number, planned.order_id, planned.skipped) == (f"АЛЬФА-{cohort.pk}-ПЗ", None, "")
    assert planned.rr_numbers == sorted(a.rr_number for a in enrolled)
    assert not Order.objects.exists()
    assert not GeneratedDocument.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert not ApplicationEvent.objects.filter(transition="enrol").exists()
    assert _statuses(enrolled) == [Status.ENROLMENT_ORDER_REQUIRED] * 2
    assert CampaignParticipation.objects.get(partner=cohort.program.partner).order_mode_fixed_at is None


def test_a_partner_without_a_prefix_gets_its_id(partner_a, campaign, night):
    cohort = cohort_of(partner_a, campaign, start=START, end=END)
    set_mode(cohort, Mode.AUTOMATIC)
    _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Безпрефиксный")
    [planned] = night(START)
    assert planned.number == f"ОП{partner_a.pk}-{cohort.pk}-ПЗ"


def test_the_first_automatic_order_fixes_the_mode(cohort, night):
    _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый")
    night(START)
    participation = CampaignParticipation.objects.get(partner=cohort.program.partner)
    assert (participation.order_mode, participation.order_mode_fixed_at) == (Mode.AUTOMATIC, at(START, 0, 30))


def test_staff_may_add_a_late_citizen_to_the_automatic_enrolment_order_on_the_start_day(cohort, staff_a, night):
    first = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый")
    night(START)
    order = Order.objects.get()
    late = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Опоздавший")[0]
    with time_machine.travel(at(START, 11), tick=False):
        assert order_assign(actor=staff_a, order=order, application_ids=[late.pk]) == 1
    assert _statuses([*first, late]) == [Status.STUDYING] * 2


def test_adding_a_citizen_to_an_automatic_order_renders_its_pdf_again(cohort, staff_a, night,
                                                                       django_capture_on_commit_callbacks):
    first = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый")
    night(START)
    order = Order.objects.get()
    late = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Опоздавший")[0]
    with time_machine.travel(at(START, 11), tick=False), django_capture_on_commit_callbacks(execute=True):
        order_assign(actor=staff_a, order=order, application_ids=[late.pk])
    order.refresh_from_db()
    _assert_lists_exactly(order, [*first, late], [])


def test_a_number_already_typed_by_hand_does_not_stop_the_night(cohort, partner_b, campaign, staff_a, night):
    """Staff may type any number for an extension order, even the one the night will generate."""
    studying = _citizens(cohort, Status.STUDYING, "Продлённый")[0]
    with time_machine.travel(at(START - 10 * ONE_DAY, 10), tick=False):
        order_create(actor=staff_a, cohort=cohort, requisites=Requisites(
            type=Type.EXTENSION, number=f"АЛЬФА-{cohort.pk}-ПЗ", order_date=START - 10 * ONE_DAY))
    waiting = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Ожидающий")
    other = cohort_of(partner_b, campaign, start=START, end=END)
    set_mode(other, Mode.AUTOMATIC)
    elsewhere = _citizens(other, Status.ENROLMENT_ORDER_REQUIRED, "Чужой")
    night(START)
    assert _statuses(elsewhere) == [Status.STUDYING], "another partner's cohort is not held up"
    assert _statuses(waiting) == [Status.STUDYING]
    assert _statuses([studying]) == [Status.STUDYING]


# The management command and the beat ---------------------------------------------------------

@pytest.fixture
def december(alpha, campaign):
    cohort = cohort_of(alpha, campaign, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 25))
    set_mode(cohort, Mode.AUTOMATIC)
    return cohort, _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Первый", "Второй")


def _command(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(at(dt.date(2026, 12, 1), 0, 30), tick=False):
        call_command("run_automatic_orders", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_orders_it_generated(december):
    cohort, applications = december
    numbers = ", ".join(sorted(a.rr_number for a in applications))
    output = _command("--date", "2026-12-01")
    assert (f"АЛЬФА-{cohort.pk}-ПЗ: О зачислении, поток {cohort.pk}, сформирован; слушателей 2: {numbers}"
            in output)
    assert "Ночь 01.12.2026: Сформировано приказов: 1." in output
    assert Order.objects.get().number == f"АЛЬФА-{cohort.pk}-ПЗ"
    assert "Сформировано приказов: 0." in _command("--date", "2026-12-01")
    assert Order.objects.count() == 1


def test_the_command_without_a_date_runs_tonight_in_moscow(december):
    output = _command()  # 00:30 Moscow time is still 30.11 in UTC
    assert "Ночь 01.12.2026: Сформировано приказов: 1." in output


def test_the_command_dry_run_prints_and_creates_nothing(december):
    cohort, applications = december
    output = _command("--date", "2026-12-01", "--dry-run")
    assert f"АЛЬФА-{cohort.pk}-ПЗ: О зачислении, поток {cohort.pk}, будет сформирован; слушателей 2" in output
    assert "Ночь 01.12.2026: Будет сформировано приказов: 1." in output
    assert not Order.objects.exists()
    assert _statuses(applications) == [Status.ENROLMENT_ORDER_REQUIRED] * 2


def test_a_citizen_ready_after_the_start_night_is_not_added_to_its_order(december):
    cohort, applications = december
    _command("--date", "2026-12-01")
    late = _citizens(cohort, Status.ENROLMENT_ORDER_REQUIRED, "Опоздавший")[0]
    output = _command("--date", "2026-12-01", "--dry-run")
    assert f"поток {cohort.pk}: О зачислении — уже сформирован этой ночью" in output
    assert "Будет сформировано приказов: 0." in output
    output = _command("--date", "2026-12-01")
    assert f"поток {cohort.pk}: О зачислении — уже сформирован этой ночью" in output
    assert Order.objects.count() == 1
    assert _statuses([late]) == [Status.ENROLMENT_ORDER_REQUIRED]
    assert not OrderAssignment.objects.filter(application=late).exists()


@pytest.mark.parametrize("value", ["2026-13-01", "01.12.2026", "завтра"])
def test_the_command_refuses_a_bad_date_in_russian(december, value):
    with pytest.raises(CommandError, match=f"Неверная дата «{value}»: нужен формат ГГГГ-ММ-ДД."):
        _command("--date", value)
    assert not Order.objects.exists()


def test_the_beat_runs_the_task_at_half_past_midnight_moscow_time():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "orders.tasks.automatic_orders_task"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == crontab(hour=0, minute=30)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Europe/Moscow"


def test_the_task_returns_how_many_orders_it_generated(december, django_capture_on_commit_callbacks):
    with time_machine.travel(at(dt.date(2026, 12, 1), 0, 30), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert automatic_orders_task(night="2026-12-01") == 1
        assert automatic_orders_task(night="2026-12-01") == 0
    assert Order.objects.get().document.status == GeneratedDocument.Status.READY


def test_the_task_without_a_night_takes_today_in_moscow(december, django_capture_on_commit_callbacks):
    with time_machine.travel(dt.datetime(2026, 11, 30, 21, 30, tzinfo=dt.UTC), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert automatic_orders_task() == 1
    assert Order.objects.get().night == dt.date(2026, 12, 1)
