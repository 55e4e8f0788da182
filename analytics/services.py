"""Rebuilding the analytics summaries (analytics.models): every few minutes by Celery beat
(analytics.tasks.summaries_refresh_task) and by `manage.py analytics_refresh`.

A rebuild is one transaction: the old rows are deleted and the new ones inserted by
`INSERT … SELECT … GROUP BY` straight from the live tables (the same grouped querysets the live
page uses, analytics.selectors), so a reader sees either the old summary or the new one, never a
mix, and nothing passes through Python. The `SummaryRun` row is locked first: two rebuilds wait for
each other instead of deleting each other's rows."""
import time

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Organization
from analytics.medians import histogram
from analytics.models import DocumentCheckPartner, DocumentCheckSummary, EnrolmentTimeSummary, StatusSummary, SummaryRun
from enrollment.models import Application, ApplicationDocument, ApplicationEvent

SUMMARIES = (StatusSummary, EnrolmentTimeSummary, DocumentCheckSummary, DocumentCheckPartner)

# The dimensions of the national summaries, as reached from an application through `prefix`.
DIMENSIONS = ("campaign_id", "region_id", "category_id", "cohort_month")


def _dimensions(queryset: QuerySet, prefix: str = "") -> QuerySet:
    return queryset.annotate(_campaign_id=F(f"{prefix}program__campaign_id"), _region_id=F(f"{prefix}region_id"),
                             _category_id=F(f"{prefix}category_id"),
                             _cohort_month=TruncMonth(f"{prefix}cohort__start_date"))


def _insert(model, queryset: QuerySet, columns: list[str]) -> int:
    """INSERT INTO model's table (columns) SELECT … — `queryset`'s SELECT list, in the same order."""
    sql, params = queryset.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


def status_rows() -> QuerySet:
    return (_dimensions(Application.objects.order_by()).values(*(f"_{d}" for d in DIMENSIONS), "status")
            .annotate(_applications=Count("*")))


def enrolment_rows() -> QuerySet:
    events = _dimensions(ApplicationEvent.objects.filter(transition="enrol"), "subject__")
    return histogram(events, "subject__submitted_at", "created_at", group_by=tuple(f"_{d}" for d in DIMENSIONS))


def document_check_rows() -> QuerySet:
    documents = ApplicationDocument.objects.filter(checked_at__isnull=False).annotate(
        _campaign_id=F("application__program__campaign_id"))
    return histogram(documents, "uploaded_at", "checked_at", group_by=("_campaign_id", "application__partner_id"))


def _partner_check_rows() -> QuerySet:
    """Per partner, from the histograms just written: their checked scans, with the partner's name."""
    return (DocumentCheckSummary.objects.filter(partner_id__isnull=False).order_by()
            .annotate(_name=Organization.objects.filter(pk=OuterRef("partner_id")).values("short_name"))
            .values("campaign_id", "partner_id", "_name").annotate(_cases=Sum("cases")))


def _national_check_rows() -> QuerySet:
    """All partners together, from the histograms just written (partner_id stays NULL)."""
    return (DocumentCheckSummary.objects.filter(partner_id__isnull=False).order_by()
            .values("campaign_id", "hours").annotate(_cases=Sum("cases"), _seconds=Sum("seconds")))


def summaries_refresh() -> SummaryRun:
    """Rebuild every summary from the live tables; returns the run (its time and duration)."""
    started = time.perf_counter()
    SummaryRun.objects.get_or_create(pk=1)
    with transaction.atomic():
        run = SummaryRun.objects.select_for_update().get(pk=1)
        built_at = timezone.now()  # the figures are those of this moment (the transaction's snapshot)
        for model in SUMMARIES:
            model.objects.all().delete()
        _insert(StatusSummary, status_rows(), [*DIMENSIONS, "status", "applications"])
        _insert(EnrolmentTimeSummary, enrolment_rows(), [*DIMENSIONS, "hours", "cases", "seconds"])
        _insert(DocumentCheckSummary, document_check_rows(), ["campaign_id", "partner_id", "hours", "cases", "seconds"])
        _insert(DocumentCheckPartner, _partner_check_rows(), ["campaign_id", "partner_id", "partner_name", "cases"])
        _insert(DocumentCheckSummary, _national_check_rows(), ["campaign_id", "hours", "cases", "seconds"])
        if connection.vendor == "postgresql":  # fresh statistics for the planner (allowed in a transaction)
            with connection.cursor() as cursor:
                for model in SUMMARIES:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        run.built_at = built_at
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["built_at", "seconds"])
    return run
