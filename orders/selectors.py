"""Reads of orders: the list (search, filters, sorting), an order's page (its applications and the
cohort's applications it may still go to), the citizen's orders, and the РР re-keying dashboard
("Работа с приказами"). Everything is scoped through core.access first; every page runs a fixed
number of queries whatever the number of rows.
"""
import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.access import filter_for_user
from core.calendar import add_working_days, add_working_days_to_each
from enrollment.models import Application, QualificationDocument
from orders.models import Order, OrderAssignment, OrderScan
from orders.services.orders import required_statuses
from programs.models import Cohort

SORTS = {
    "-date": ("-order_date", "-pk"), "date": ("order_date", "pk"),
    "number": ("number", "pk"), "-number": ("-number", "-pk"),
    "cohort": ("cohort__start_date", "cohort_id", "-pk"), "-cohort": ("-cohort__start_date", "-cohort_id", "-pk"),
}
DEFAULT_SORT = "-date"
# The dashboard shows at most this many open lines per block (the CSV per order has them all).
DASHBOARD_LIMIT = 2000


# The list -------------------------------------------------------------------------------------

def order_list_for(*, user, search: str = "", order_type: str = "", basis: str = "", cohort=None,
                   automatic: bool | None = None, sort: str = DEFAULT_SORT) -> QuerySet:
    qs = filter_for_user(Order.objects.all(), user)
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(number__startswith=search) | Q(number__startswith=search.upper()))
    if order_type:
        qs = qs.filter(type=order_type)
    if basis:
        qs = qs.filter(basis=basis)
    if cohort is not None:
        qs = qs.filter(cohort=cohort)
    if automatic is not None:
        qs = qs.filter(is_automatic=automatic)
    return (qs.select_related("partner", "cohort__program", "document")
            .annotate(application_count=Count("assignments"))
            .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])))


def cohort_choices(user) -> QuerySet:
    """Cohorts an order may be created for, or the list filtered by: those of the visible programs."""
    return (Cohort.objects.visible_to(user).filter(is_archived=False).select_related("program")
            .order_by("-start_date", "pk"))


# An order's page ------------------------------------------------------------------------------

def order_detail_queryset() -> QuerySet:
    return Order.objects.select_related("partner", "cohort__program", "document", "created_by").prefetch_related(
        Prefetch("scans", queryset=OrderScan.objects.select_related("uploaded_by").order_by("-version")))


def order_assignments(order: Order) -> QuerySet:
    return (order.assignments.select_related("application__citizen", "assigned_by", "rr_entered_by")
            .order_by("application__citizen__last_name", "application__citizen__first_name", "pk"))


def order_candidates(order: Order) -> QuerySet:
    """The cohort's applications in the status the order needs, not yet assigned to it."""
    return (Application.objects.filter(cohort_id=order.cohort_id, partner_id=order.partner_id,
                                       status__in=required_statuses(order))
            .exclude(order_assignments__order=order)
            .select_related("citizen").order_by("citizen__last_name", "citizen__first_name", "pk"))


def current_scan(order: Order) -> OrderScan | None:
    """The current scan from the prefetched versions (order_detail_queryset)."""
    return next((scan for scan in order.scans.all() if scan.is_current), None)


# The citizen's orders -------------------------------------------------------------------------

def citizen_orders(application: Application) -> list[Order]:
    """The orders assigned to the citizen's application, oldest first, with their current scan
    and PDF (what "Мои документы" shows)."""
    return list(Order.objects.filter(assignments__application=application)
                .select_related("document")
                .prefetch_related(Prefetch("scans", queryset=OrderScan.objects.filter(is_current=True),
                                           to_attr="current_scans"))
                .order_by("order_date", "pk"))


# The РР re-keying dashboard -------------------------------------------------------------------

@dataclass
class DashboardOrder:
    """One order of a block with its open lines."""

    order: Order
    lines: list = field(default_factory=list)

    @property
    def is_overdue(self) -> bool:
        return any(line.is_overdue for line in self.lines)


@dataclass
class Dashboard:
    enrolment: list[DashboardOrder]
    expulsion: list[DashboardOrder]
    qualifications: list[QualificationDocument]
    truncated: bool = False

    @property
    def total(self) -> int:
        return (sum(len(o.lines) for o in self.enrolment) + sum(len(o.lines) for o in self.expulsion)
                + len(self.qualifications))


def portal_deadline(day: dt.date) -> dt.date:
    """The last day to re-key an item that reached Flow on `day`."""
    return add_working_days(day, settings.PORTAL_REKEY_WORKING_DAYS)


def portal_deadlines(days) -> dict[dt.date, dt.date]:
    """`portal_deadline` of each day, from one read of the calendar."""
    return add_working_days_to_each(days, settings.PORTAL_REKEY_WORKING_DAYS)


def open_assignments(user, *, partner=None) -> QuerySet:
    qs = filter_for_user(OrderAssignment.objects.open_on_portal(), user)
    if partner is not None:
        qs = qs.filter(partner=partner)
    return qs


def open_qualifications(user, *, partner=None) -> QuerySet:
    qs = filter_for_user(Application.objects.all(), user)
    if partner is not None:
        qs = qs.filter(partner=partner)
    return QualificationDocument.objects.filter(rr_entered_at__isnull=True, application__in=qs)


def portal_dashboard(user, *, partner=None, today: dt.date | None = None) -> Dashboard:
    """The three blocks: enrolment orders, expulsion orders (each order with the applications
    still to enter on РР) and qualification documents; items past the deadline flagged. Three
    queries (the calendar's included), whatever the number of items."""
    today = today or timezone.localdate()
    lines = list(open_assignments(user, partner=partner)
                 .select_related("order__cohort__program", "order__partner", "application__citizen")
                 .order_by("order__type", "order__order_date", "order_id", "application__citizen__last_name",
                           "application__citizen__first_name", "pk")[:DASHBOARD_LIMIT + 1])
    documents = list(open_qualifications(user, partner=partner)
                     .select_related("application__citizen", "application__program", "application__partner")
                     .order_by("created_at", "pk")[:DASHBOARD_LIMIT + 1])
    truncated = len(lines) > DASHBOARD_LIMIT or len(documents) > DASHBOARD_LIMIT
    lines, documents = lines[:DASHBOARD_LIMIT], documents[:DASHBOARD_LIMIT]
    deadlines = _deadlines({timezone.localdate(x.assigned_at) for x in lines}
                           | {timezone.localdate(d.created_at) for d in documents})
    for line in lines:
        line.deadline = deadlines[timezone.localdate(line.assigned_at)]
        line.is_overdue = line.deadline < today
    for document in documents:
        document.deadline = deadlines[timezone.localdate(document.created_at)]
        document.is_overdue = document.deadline < today
    blocks = {Order.Type.ENROLMENT: [], Order.Type.EXPULSION: []}
    for _order_id, group in groupby(lines, key=lambda line: line.order_id):
        group = list(group)
        blocks[group[0].order.type].append(DashboardOrder(order=group[0].order, lines=group))
    return Dashboard(enrolment=blocks[Order.Type.ENROLMENT], expulsion=blocks[Order.Type.EXPULSION],
                     qualifications=documents, truncated=truncated)


def _deadlines(days: set[dt.date]) -> dict[dt.date, dt.date]:
    return portal_deadlines(days)


def portal_backlog_by_partner(user) -> list[dict]:
    """The operator's view: open items per partner (enrolment, expulsion, qualification)."""
    counts = {}
    for row in (open_assignments(user).values("partner_id", "partner__short_name", "order_type")
                .annotate(n=Count("pk")).order_by()):
        entry = counts.setdefault(row["partner_id"], {"partner_id": row["partner_id"],
                                                      "partner": row["partner__short_name"],
                                                      "enrolment": 0, "expulsion": 0, "qualifications": 0})
        entry[row["order_type"]] = row["n"]
    for row in (open_qualifications(user).values("application__partner_id", "application__partner__short_name")
                .annotate(n=Count("pk")).order_by()):
        entry = counts.setdefault(row["application__partner_id"], {
            "partner_id": row["application__partner_id"], "partner": row["application__partner__short_name"],
            "enrolment": 0, "expulsion": 0})
        entry["qualifications"] = row["n"]
    for entry in counts.values():
        entry["total"] = entry["enrolment"] + entry["expulsion"] + entry["qualifications"]
    return sorted(counts.values(), key=lambda e: (-e["total"], e["partner"]))


def order_open_lines(order: Order) -> QuerySet:
    """The CSV for the clerk: the order's applications still to enter on РР."""
    return (order.assignments.open_on_portal().select_related("application__citizen")
            .order_by("application__citizen__last_name", "application__citizen__first_name", "pk"))


# The staff desk's panel -----------------------------------------------------------------------

def portal_summary(user, *, today: dt.date | None = None, top: int = 5) -> dict:
    """The re-keying dashboard in figures for the staff desk: per block the open and overdue
    items, and for the two order blocks the `top` orders with most overdue, then open, lines.
    Open items are counted per order and day of arrival, so four queries (counts, the calendar,
    the top orders, the qualification counts) whatever the number of items."""
    from django.db.models.functions import TruncDate

    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    rows = list(open_assignments(user).annotate(day=TruncDate("assigned_at", tzinfo=zone))
                .values("order_id", "order_type", "day").annotate(n=Count("pk")).order_by())
    documents = list(open_qualifications(user).annotate(day=TruncDate("created_at", tzinfo=zone))
                     .values("day").annotate(n=Count("pk")).order_by())
    deadlines = _deadlines({row["day"] for row in rows} | {row["day"] for row in documents})
    per_order = {}
    for row in rows:
        entry = per_order.setdefault(row["order_id"], {"type": row["order_type"], "open": 0, "overdue": 0})
        entry["open"] += row["n"]
        entry["overdue"] += row["n"] if deadlines[row["day"]] < today else 0
    ranked = sorted(per_order.items(), key=lambda item: (-item[1]["overdue"], -item[1]["open"], item[0]))
    shown = {t: [pk for pk, entry in ranked if entry["type"] == t][:top] for t in Order.SENT_TO_PORTAL}
    orders = Order.objects.select_related("cohort__program").in_bulk([pk for pks in shown.values() for pk in pks])
    summary = {}
    for order_type in Order.SENT_TO_PORTAL:
        entries = [entry for entry in per_order.values() if entry["type"] == order_type]
        summary[order_type] = {
            "open": sum(entry["open"] for entry in entries), "overdue": sum(entry["overdue"] for entry in entries),
            "orders": [{"order": orders[pk], **per_order[pk]} for pk in shown[order_type] if pk in orders]}
    summary["qualifications"] = {
        "open": sum(row["n"] for row in documents),
        "overdue": sum(row["n"] for row in documents if deadlines[row["day"]] < today)}
    summary["total"] = sum(summary[key]["open"] for key in (*Order.SENT_TO_PORTAL, "qualifications"))
    return summary
