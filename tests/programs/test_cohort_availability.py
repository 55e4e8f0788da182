"""The cohort availability rule (programs.selectors.cohort_availability) at its edges: 25 days
before the start, the closing day 14 working days before it (across the New Year holidays),
the contract's validity, the quota, archived and held cohorts."""
import datetime as dt

import pytest

from core.models import WorkingDayOverride
from programs.models import TrainingContract
from programs.selectors import cohort_availability, cohort_availability_for, program_contract_valid_until
from tests.programs.factories import CohortFactory, ProgramFactory, TrainingContractFactory

pytestmark = pytest.mark.django_db

CONTRACT_UNTIL = dt.date(2027, 12, 31)


def _check(today, start, end=None, **kwargs):
    values = {"max_students": None, "chosen": 0, "is_archived": False, "is_held": False,
              "contract_valid_until": CONTRACT_UNTIL, **kwargs}
    return cohort_availability(start_date=start, end_date=end or start + dt.timedelta(days=30), today=today,
                               **values)


def test_it_is_open_from_25_days_before_the_start():
    today = dt.date(2026, 3, 2)
    on_the_edge = _check(today, today + dt.timedelta(days=25))
    assert on_the_edge.is_open
    assert on_the_edge.reasons == ()
    assert on_the_edge.closes_on == dt.date(2026, 3, 6)  # 9 March 2026 is a day off (8 March moved)
    too_late = _check(today, today + dt.timedelta(days=24))
    assert not too_late.is_open
    assert too_late.reasons == ("До начала обучения меньше 25 дней.",)


def test_it_closes_14_working_days_before_the_start_across_the_new_year():
    start = dt.date(2027, 1, 25)  # 1–8 January and 31 December are days off
    assert _check(dt.date(2026, 12, 24), start).is_open
    closed = _check(dt.date(2026, 12, 25), start)  # 31 days ahead: the 25-day rule alone would allow it
    assert not closed.is_open
    assert closed.closes_on == dt.date(2026, 12, 25)
    assert closed.reasons == ("Набор закрыт: за 14 рабочих дней до начала (с 25.12.2026).",)


def test_an_admins_calendar_override_moves_the_closing_day():
    start = dt.date(2027, 1, 25)
    WorkingDayOverride.objects.create(date=dt.date(2026, 12, 31), is_working=True)
    assert _check(dt.date(2026, 12, 25), start).is_open
    assert _check(dt.date(2026, 12, 28), start).closes_on == dt.date(2026, 12, 28)


def test_it_needs_a_contract_covering_the_whole_cohort():
    today, start = dt.date(2026, 3, 2), dt.date(2026, 4, 6)
    assert _check(today, start, contract_valid_until=None).reasons == ("Нет договора.",)
    assert _check(today, start, end=dt.date(2026, 5, 31), contract_valid_until=dt.date(2026, 5, 31)).is_open
    late = _check(today, start, end=dt.date(2026, 6, 1), contract_valid_until=dt.date(2026, 5, 31))
    assert late.reasons == ("Обучение заканчивается позже срока действия договора (31.05.2026).",)


@pytest.mark.parametrize(("max_students", "chosen", "is_open"), [
    (None, 500, True), (0, 0, False), (10, 9, True), (10, 10, False)])
def test_the_quota(max_students, chosen, is_open):
    today = dt.date(2026, 3, 2)
    assert _check(today, dt.date(2026, 4, 6), max_students=max_students, chosen=chosen).is_open is is_open


def test_archived_and_held_cohorts_are_not_offered():
    today, start = dt.date(2026, 3, 2), dt.date(2026, 4, 6)
    assert _check(today, start, is_archived=True).reasons == ("Поток в архиве.",)
    assert _check(today, start, is_held=True).reasons == ("Поток ожидает снятия программы с публикации.",)


def test_the_covering_contract_is_the_partners_registered_one_including_the_program(partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    assert program_contract_valid_until(program) is None
    contract = TrainingContractFactory(partner=partner_a, campaign=campaign, valid_until=dt.date(2026, 12, 31))
    contract.programs.add(program)
    assert program_contract_valid_until(program) is None  # not registered yet
    TrainingContract.objects.filter(pk=contract.pk).update(status=TrainingContract.Status.REGISTERED)
    assert program_contract_valid_until(program) == dt.date(2026, 12, 31)


def test_a_cohort_is_checked_with_its_programs_contract(partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    cohort = CohortFactory(program=program, start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 5, 29))
    availability = cohort_availability_for(cohort, today=dt.date(2026, 3, 2))
    assert availability.reasons == ("Нет договора.",)
