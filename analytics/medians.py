"""Medians of durations.

**Exact**, in the database where it can: PostgreSQL's ordered-set aggregate `percentile_cont(0.5)`
(it takes intervals as well as numbers); elsewhere (SQLite in development and tests) the durations
are computed by the database and their median by Python. One query either way, so a page's query
count does not depend on the backend. Used where the cases are few (acts: one per cohort).

**From an hour histogram**, where the cases are many (history rows, document scans: hundreds of
thousands nationally, where sorting every duration cost the page over a second): the database
groups the durations by whole hours (`seconds // 3600`) and returns per hour the number of cases
and the sum of their seconds, a few hundred rows whatever the volume; the median is taken over the
hours, each case standing at its hour's mean duration. So a median is exact when the durations of
the middle hour(s) are equal (whole days or hours, as in the tests and the generated data) and off
by less than an hour otherwise — under the tenth of a day the page prints, give or take a rounding
step. The pre-aggregated summaries (analytics.models) keep the same histograms, so a summary and
the live computation always agree.
"""
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import connections
from django.db.models import Aggregate, BigIntegerField, Count, DurationField, Func, QuerySet, Sum

HOUR = 3600


class Median(Aggregate):
    """PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY <expression>): PostgreSQL only."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


class Seconds(Func):
    """Whole seconds from the first datetime expression to the second: `Seconds("start", "end")`.
    An integer on every backend, so that `Seconds(…) / 3600` is an integer division (the hour)."""

    output_field = BigIntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = (compiler.compile(e) for e in self.get_source_expressions())
        # julianday() is a float: rounded, whole seconds come out exact.
        return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)", [*end_params,
                                                                                          *start_params]

    def as_postgresql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"FLOOR(EXTRACT(EPOCH FROM ({end} - {start})))::bigint", [*end_params, *start_params]


class Hours(Seconds):
    """Whole hours (truncated) from the first datetime expression to the second."""

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        return f"({sql} / {HOUR})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = super().as_postgresql(compiler, connection, **extra)
        return f"({sql} / {HOUR})", params


def histogram(queryset: QuerySet, start: str, end: str, group_by: tuple[str, ...] = ()) -> QuerySet:
    """`queryset`'s rows grouped by `group_by` and the whole hours from `start` to `end`: a values
    queryset of the group fields, `hours`, `cases` and `seconds` (their sum) — one query, also the
    SELECT the summaries are rebuilt from (analytics.services)."""
    return (queryset.order_by().annotate(hours=Hours(start, end))
            .values(*group_by, "hours").annotate(cases=Count("pk"), seconds=Sum(Seconds(start, end))))


def histogram_median(buckets: Iterable[tuple[int, int, int]]) -> tuple[int, timedelta | None]:
    """(count, median) of a histogram given as (hours, cases, sum of seconds) rows, in any order and
    possibly repeated (rows of several groups are added up)."""
    merged: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for hours, cases, seconds in buckets:
        merged[hours][0] += cases
        merged[hours][1] += seconds or 0
    total = sum(cases for cases, _seconds in merged.values())
    if not total:
        return 0, None
    wanted = [(total - 1) // 2, total // 2]  # the middle case, or the two middle ones
    values, seen = [], 0
    for hours in sorted(merged):
        cases, seconds = merged[hours]
        while wanted and wanted[0] < seen + cases:
            values.append(seconds / cases)
            wanted.pop(0)
        seen += cases
    return total, timedelta(seconds=sum(values) / len(values))


def duration_medians(queryset: QuerySet, duration, group_by: tuple[str, ...] = ()) -> dict[tuple, tuple]:
    """{group: (count, exact median timedelta or None)} of the expression `duration` over
    `queryset`, grouped by the field names `group_by` (a group is the tuple of their values; without
    `group_by` the single group is `()`)."""
    queryset = queryset.order_by()
    if connections[queryset.db].vendor == "postgresql":
        median = Median(duration, output_field=DurationField())
        if not group_by:
            row = queryset.aggregate(n=Count("pk"), median=median)
            return {(): (row["n"], row["median"])}
        rows = queryset.values(*group_by).annotate(n=Count("pk"), median=median)
        return {tuple(row[f] for f in group_by): (row["n"], row["median"]) for row in rows}
    values: dict[tuple, list[timedelta]] = defaultdict(list)
    for *group, value in queryset.annotate(_duration=duration).values_list(*group_by, "_duration"):
        values[tuple(group)].append(value)
    result = {group: (len(items), statistics.median(items)) for group, items in values.items()}
    if not group_by:
        result.setdefault((), (0, None))
    return result


def in_days(value: timedelta | None) -> float | None:
    """A duration in days, rounded to a tenth (None stays None)."""
    return None if value is None else round(value.total_seconds() / 86400, 1)
