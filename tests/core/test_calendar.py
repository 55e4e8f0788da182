"""The production calendar: public holidays, transferred days, admin overrides, deadline arithmetic."""
from datetime import date, datetime, timedelta

import holidays
import pytest

from core.calendar import add_working_days, is_working_day, working_days_between
from core.models import WorkingDayOverride

pytestmark = pytest.mark.django_db


def _days(first: date, last: date):
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def test_it_skips_the_new_year_break():
    assert add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 11)


def test_it_treats_a_transferred_saturday_as_working():
    assert is_working_day(date(2027, 2, 20))
    assert add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)


def test_it_treats_a_substituted_monday_as_a_day_off():
    assert not is_working_day(date(2027, 2, 22))
    assert add_working_days(date(2027, 2, 20), 1) == date(2027, 2, 24)


def test_it_agrees_with_the_holidays_package_without_overrides():
    ru = holidays.RU(years=[2026, 2027])
    for day in _days(date(2026, 1, 1), date(2027, 12, 31)):
        assert is_working_day(day) == ru.is_working_day(day), day


def test_an_override_day_off_moves_the_deadline():
    WorkingDayOverride.objects.create(date=date(2027, 1, 11), is_working=False, note="Указ")
    assert not is_working_day(date(2027, 1, 11))
    assert add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 12)


def test_an_override_working_day_wins_over_a_public_holiday():
    WorkingDayOverride.objects.create(date=date(2026, 12, 31), is_working=True)
    assert is_working_day(date(2026, 12, 31))
    assert add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)


def test_zero_days_returns_the_same_date_even_on_a_day_off(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert add_working_days(date(2027, 1, 2), 0) == date(2027, 1, 2)


def test_negative_days_count_backwards():
    assert add_working_days(date(2027, 1, 11), -1) == date(2026, 12, 30)
    assert add_working_days(date(2027, 2, 24), -1) == date(2027, 2, 20)
    assert add_working_days(date(2027, 2, 24), -2) == date(2027, 2, 19)
    assert add_working_days(date(2027, 1, 9), -1) == date(2026, 12, 30)


def test_between_is_start_exclusive_and_end_inclusive():
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 11)) == 1
    assert working_days_between(date(2027, 1, 11), date(2026, 12, 30)) == -1
    assert working_days_between(date(2027, 1, 11), date(2027, 1, 11)) == 0
    assert working_days_between(date(2027, 1, 1), date(2027, 1, 10)) == 0


def test_between_is_consistent_with_add_over_a_year():
    WorkingDayOverride.objects.create(date=date(2027, 6, 15), is_working=False)
    WorkingDayOverride.objects.create(date=date(2027, 8, 7), is_working=True)
    for start in _days(date(2027, 1, 1), date(2027, 12, 31)):
        for n in (-23, -5, -1, 0, 1, 2, 10):
            end = add_working_days(start, n)
            assert working_days_between(start, end) == n, (start, n)
            if n:
                assert is_working_day(end), (start, n)


def test_adding_60_working_days_reads_the_overrides_once(django_assert_max_num_queries):
    WorkingDayOverride.objects.create(date=date(2027, 3, 1), is_working=False)
    with django_assert_max_num_queries(1):
        deadline = add_working_days(date(2026, 12, 30), 60)
    assert working_days_between(date(2026, 12, 30), deadline) == 60
    assert deadline == date(2027, 4, 7)


def test_it_widens_its_span_when_overrides_close_a_long_stretch(django_assert_max_num_queries):
    WorkingDayOverride.objects.bulk_create(
        WorkingDayOverride(date=day, is_working=False) for day in _days(date(2027, 1, 11), date(2027, 5, 31))
    )
    with django_assert_max_num_queries(3):
        assert add_working_days(date(2026, 12, 30), 1) == date(2027, 6, 1)
    with django_assert_max_num_queries(3):
        assert add_working_days(date(2027, 6, 1), -1) == date(2026, 12, 30)


def test_it_refuses_a_datetime():
    with pytest.raises(TypeError):
        add_working_days(datetime(2027, 1, 11, 12, 0), 1)  # noqa: DTZ001 - the value under test
