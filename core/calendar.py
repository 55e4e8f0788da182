"""The Russian production calendar: which dates are working days, and deadline arithmetic.

A date is a working day by these rules, each later one winning: Saturdays and Sundays are days
off; `holidays.RU` public holidays (including days off moved by government decree) are days off;
its `weekend_workdays` (Saturdays made working by the same decrees) are working days; a
`WorkingDayOverride` row, edited by admins, decides its date whatever the rules above say.

Dates are calendar dates in Europe/Moscow: pass `timezone.localdate()`, never a datetime.
"""
import functools
from datetime import date, datetime, timedelta

import holidays

from core.models import WorkingDayOverride

_ONE_DAY = timedelta(days=1)
# Overrides are read for a whole span of dates in one query. A span that turns out too short is
# widened by at least this much per extra query.
_WIDEN_BY = timedelta(days=92)


@functools.lru_cache(maxsize=64)
def _public_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Public days off and working weekend days of one year, built once per process.

    Kept as frozensets rather than the `holidays.RU` object itself: that object populates
    missing years on lookup, which is neither free nor thread-safe.
    """
    ru = holidays.RU(years=year)
    return frozenset(ru), frozenset(ru.weekend_workdays)


def _is_public_working_day(day: date) -> bool:
    days_off, weekend_workdays = _public_calendar(day.year)
    if day in weekend_workdays:
        return True
    return day.weekday() < 5 and day not in days_off


def _overrides_between(first: date, last: date) -> dict[date, bool]:
    rows = WorkingDayOverride.objects.filter(date__range=(first, last)).values_list("date", "is_working")
    return dict(rows)


class _Span:
    """Working-day answers for a span of dates; the span's overrides are read in one query and
    it widens itself (one more query each time) when asked about a date outside it."""

    def __init__(self, first: date, last: date):
        self.first, self.last = first, last
        self.overrides = _overrides_between(first, last)

    def is_working(self, day: date) -> bool:
        if day > self.last:
            last = max(day, self.last + _WIDEN_BY)
            self.overrides.update(_overrides_between(self.last + _ONE_DAY, last))
            self.last = last
        elif day < self.first:
            first = min(day, self.first - _WIDEN_BY)
            self.overrides.update(_overrides_between(first, self.first - _ONE_DAY))
            self.first = first
        override = self.overrides.get(day)
        return _is_public_working_day(day) if override is None else override


def _check_date(day: date) -> None:
    # A datetime is a date subclass, but would never match the date keys of the overrides.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day of the production calendar (one query)."""
    _check_date(day)
    return _Span(day, day).is_working(day)


def add_working_days(day: date, n: int) -> date:
    """The `n`-th working day after `day` (`n` = 1: the next working day), or before it when
    `n` is negative; `day` itself is never counted, and `n` = 0 returns `day` unchanged.

    Reads the overrides in one query for any realistic `n`.
    """
    return add_working_days_to_each([day], n)[day]


def add_working_days_to_each(days, n: int) -> dict[date, date]:
    """`add_working_days(day, n)` for each of `days`, as {day: result}, reading the overrides
    in one query for the whole set (a list page's deadlines)."""
    days = sorted(set(days))
    for day in days:
        _check_date(day)
    if not days or n == 0:
        return {day: day for day in days}
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    # Enough calendar days for |n| working days even across the New Year break.
    reach = step * (abs(n) * 3 // 2 + 30)
    span = _Span(min(days[0], days[0] + reach), max(days[-1], days[-1] + reach))
    results = {}
    for start in days:
        day, remaining = start, abs(n)
        while remaining:
            day += step
            if span.is_working(day):
                remaining -= 1
        results[start] = day
    return results


def working_days_between(start: date, end: date) -> int:
    """How many working days one steps onto walking from `start` to `end`: `start` excluded,
    `end` included.

    If `end` >= `start`: the count of working days in (start, end].
    If `end` < `start`: minus the count of working days in [end, start).
    So `working_days_between(d, add_working_days(d, n)) == n` for every date `d` and integer `n`,
    and `working_days_between(d, d) == 0`. Reads the overrides in one query.
    """
    _check_date(start)
    _check_date(end)
    if start == end:
        return 0
    first, last = min(start, end), max(start, end)
    span = _Span(first, last)
    if end > start:
        days = (first + _ONE_DAY * k for k in range(1, (last - first).days + 1))
        return sum(span.is_working(day) for day in days)
    days = (first + _ONE_DAY * k for k in range((last - first).days))
    return -sum(span.is_working(day) for day in days)
