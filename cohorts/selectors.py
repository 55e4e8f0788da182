"""Reads of the cohort's reporting: the cohorts list as the operator's work queue (a column and a
filter per document kind: assignment, acts, reports), and the cohort page (applications, orders,
assignment, acts, reports, the journal package, remarks and history). Everything is scoped through
core.access first, and each page runs a fixed number of queries.

"Ready to generate" is computed, not stored: for an assignment, the cohort has started, someone was
enrolled and every enrolment is entered on РР; for an act, the cohort has ended, its assignment is
registered and a citizen with a successful result is in no act yet (the page then checks the six
conditions per citizen); for a report, an act signed by both sides has an employed citizen in no
report and no report of it is waiting for the operator's signature.
"""
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cohorts.models import (
    Act,
    ActEvent,
    ActInvoice,
    Assignment,
    AssignmentEvent,
    CohortRemark,
    EmploymentReport,
    EmploymentReportEvent,
    JournalFile,
    JournalPackage,
)
from core.access import filter_for_user
from enrollment.models import Application
from orders.models import Order, OrderAssignment
from programs.models import Cohort


class AssignmentState:
    NOT_YET = "not_yet"
    READY = "ready_to_generate"
    CHOICES = [(NOT_YET, _("Генерация ещё невозможна")), (READY, _("Готово к генерации")),
               *Assignment.Status.choices]


class ActState:
    READY = "ready_to_generate"
    OVERDUE = "review_overdue"
    CHOICES = [(READY, _("Готов к генерации")), (OVERDUE, _("Согласование просрочено")), *Act.Status.choices]


class ReportState:
    READY = "ready_to_generate"
    CHOICES = [(READY, _("Готов к генерации")), *EmploymentReport.Status.choices]


SORTS = {
    "start": ("start_date", "pk"), "-start": ("-start_date", "-pk"),
    "end": ("end_date", "pk"), "-end": ("-end_date", "-pk"),
    "program": ("program__title", "pk"),
}
DEFAULT_SORT = "-end"


def _enrolments(cohort_ref="pk"):
    return OrderAssignment.objects.filter(order__cohort=OuterRef(cohort_ref), order_type=Order.Type.ENROLMENT)


def cohort_queue(user, *, search: str = "", assignment: str = "", act: str = "", report: str = "",
                 partner=None, sort: str = DEFAULT_SORT, today: dt.date | None = None) -> QuerySet:
    """Cohorts `user` may see, with their documents' states annotated, filtered and sorted."""
    today = today or timezone.localdate()
    qs = filter_for_user(Cohort.objects.all(), user).select_related("program__partner", "assignment")
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(program__title__icontains=search) | Q(odin_id__startswith=search)
                       | Q(program__partner__short_name__icontains=search))
    if partner is not None:
        qs = qs.filter(program__partner=partner)
    eligible_left = Application.objects.filter(cohort=OuterRef("pk"), result=Application.Result.SUCCESSFUL,
                                               act_line__isnull=True,
                                               order_assignments__order_type=Order.Type.ENROLMENT)
    # Per act: signed by both, an employed citizen in no report, and no report of it awaiting signature.
    report_due = Act.objects.filter(cohort=OuterRef("pk"), status=Act.Status.SIGNED_BY_BOTH).filter(
        Exists(_employed_outside_reports(OuterRef("pk"))),
        ~Exists(EmploymentReport.objects.filter(act=OuterRef("pk"), status=EmploymentReport.Status.GENERATED)))
    qs = qs.annotate(
        assignment_ready=(Q(assignment__isnull=True) & Q(start_date__lt=today) & Exists(_enrolments())
                          & ~Exists(_enrolments().filter(rr_entered_at__isnull=True))
                          & ~Exists(Application.objects.filter(cohort=OuterRef("pk"),
                                                               status=Application.Status.ENROLMENT_ORDER_REQUIRED))),
        act_ready=(Q(end_date__lt=today) & Q(assignment__status=Assignment.Status.REGISTERED) & Exists(eligible_left)),
        report_ready=Exists(report_due),
        acts_total=Count("acts", distinct=True),
    )
    if assignment == AssignmentState.READY:
        qs = qs.filter(assignment_ready=True)
    elif assignment == AssignmentState.NOT_YET:
        qs = qs.filter(assignment__isnull=True, assignment_ready=False)
    elif assignment in Assignment.Status.values:
        qs = qs.filter(assignment__status=assignment)
    if act == ActState.READY:
        qs = qs.filter(act_ready=True)
    elif act == ActState.OVERDUE:
        qs = qs.filter(Exists(Act.objects.filter(cohort=OuterRef("pk"), status=Act.Status.UNDER_REVIEW,
                                                 review_due__lt=today)))
    elif act in Act.Status.values:
        qs = qs.filter(Exists(Act.objects.filter(cohort=OuterRef("pk"), status=act)))
    if report == ReportState.READY:
        qs = qs.filter(report_ready=True)
    elif report in EmploymentReport.Status.values:
        qs = qs.filter(Exists(EmploymentReport.objects.filter(act__cohort=OuterRef("pk"), status=report)))
    acts = filter_for_user(Act.objects.all(), user).order_by("sequence")
    reports = filter_for_user(EmploymentReport.objects.all(), user).order_by("act__sequence", "sequence")
    return (qs.prefetch_related(Prefetch("acts", queryset=acts, to_attr="act_list"),
                                Prefetch("acts__reports", queryset=reports))
            .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])))


# The cohort page ------------------------------------------------------------------------------

@dataclass
class CohortPage:
    cohort: Cohort
    applications: list
    status_counts: list
    orders: list
    assignment: Assignment | None
    acts: list
    package: JournalPackage | None
    journal_files: list
    journal_history: list
    remarks: list
    history: list


def cohort_page(cohort: Cohort, user) -> CohortPage:
    applications = list(Application.objects.filter(cohort=cohort).select_related("citizen")
                        .order_by("citizen__last_name", "citizen__first_name", "pk"))
    counts = {}
    for application in applications:
        counts[application.get_status_display()] = counts.get(application.get_status_display(), 0) + 1
    orders = list(filter_for_user(Order.objects.filter(cohort=cohort), user).annotate(count=Count("assignments"))
                  .order_by("order_date", "pk"))
    assignment = filter_for_user(Assignment.objects.filter(cohort=cohort), user).select_related("document").first()
    acts = list(filter_for_user(Act.objects.filter(cohort=cohort), user).select_related("document", "archive")
                .prefetch_related(Prefetch("reports", queryset=EmploymentReport.objects.select_related("document")
                                           .order_by("sequence")),
                                  Prefetch("invoices", queryset=ActInvoice.objects.order_by("-version")))
                .annotate(citizens=Count("lines", distinct=True)).order_by("sequence"))
    package = JournalPackage.objects.filter(cohort=cohort).first()
    files = list(package.files.select_related("uploaded_by").order_by("-version", "kind", "position")) \
        if package else []
    return CohortPage(
        cohort=cohort, applications=applications, status_counts=sorted(counts.items()), orders=orders,
        assignment=assignment, acts=acts, package=package,
        journal_files=[f for f in files if package and f.version == package.version],
        journal_history=[f for f in files if package and f.version != package.version],
        remarks=list(CohortRemark.objects.filter(cohort=cohort).select_related("author", "act")
                     .order_by("created_at", "pk")),
        history=cohort_history(cohort, assignment, acts),
    )


def cohort_history(cohort: Cohort, assignment: Assignment | None, acts: list) -> list:
    """The assignment's, acts' and reports' events, newest first (three queries)."""
    rows = []
    if assignment is not None:
        rows += [(e, assignment) for e in AssignmentEvent.objects.filter(subject=assignment).select_related("actor")]
    act_ids = [act.pk for act in acts]
    rows += [(e, e.subject) for e in ActEvent.objects.filter(subject_id__in=act_ids).select_related("actor",
                                                                                                    "subject")]
    rows += [(e, e.subject) for e in EmploymentReportEvent.objects.filter(subject__act_id__in=act_ids)
             .select_related("actor", "subject")]
    rows.sort(key=lambda row: (row[0].created_at, row[0].pk), reverse=True)
    return [{"event": event, "object": subject} for event, subject in rows]


def _employed_outside_reports(act_ref):
    """The act's employed citizens who are in no report yet (a subquery on `act_ref`)."""
    return Application.objects.filter(act_line__act=act_ref, status=Application.Status.EMPLOYED,
                                      report_line__isnull=True)


def report_ready_acts(cohort: Cohort) -> list[Act]:
    """Acts of the cohort signed by both with an employed citizen in no report (one query)."""
    return list(Act.objects.filter(cohort=cohort, status=Act.Status.SIGNED_BY_BOTH)
                .filter(Exists(_employed_outside_reports(OuterRef("pk")))).order_by("sequence"))


def journal_file_queryset() -> QuerySet:
    return JournalFile.objects.select_related("package")
