"""Medians of durations, in the database where it can: PostgreSQL's ordered-set aggregate
`percentile_cont(0.5)` (it takes intervals as well as numbers); elsewhere (SQLite in development
and tests) the durations are computed by the database and their median by Python. One query either
way, so a page's query count does not depend on the backend."""
import statistics
from collections import defaultdict
from datetime import timedelta

from django.db import connections
from django.db.models import Aggregate, Count, DurationField, QuerySet


class Median(Aggregate):
    """PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY <expression>): PostgreSQL only."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def duration_medians(queryset: QuerySet, duration, group_by: tuple[str, ...] = ()) -> dict[tuple, tuple]:
    """{group: (count, median timedelta or None)} of the expression `duration` over `queryset`,
    grouped by the field names `group_by` (a group is the tuple of their values; without
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
