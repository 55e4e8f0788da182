"""Work queues of orders (core.queues; issue #7), for partner staff: the enrolment and expulsion
orders to issue, and the Работа России re-keying backlog (orders and qualification documents).

Orders to issue are the applications in a status that needs one (orders.services.orders
REQUIRED_STATUSES), for partners in manual order mode: in automatic mode the night run issues them
(orders.services.automatic). Due dates:
- enrolment order: the cohort's start day, the last day to attach it (reference §2.1.1 row 10);
- expulsion order: EXPULSION_ORDER_WORKING_DAYS working days after the application reached its
  status — the time of that transition's history row (its updated_at when there is none);
- re-keying on РР: orders.selectors.portal_deadline of the day the item reached Flow.
"""

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CampaignParticipation
from core.calendar import add_working_days_to_each
from core.queues import register_queue
from enrollment.models import Application, ApplicationEvent
from enrollment.queues import APPLICATION_COLUMNS, ORDERS, own_applications
from orders.selectors import open_assignments, open_qualifications, portal_deadlines
from programs.queues import is_partner_staff

Status = Application.Status

PORTAL = _("Работа России")
# No rule in the reference: the automatic mode issues these the night after; a manual partner
# gets three working days.
EXPULSION_ORDER_WORKING_DAYS = 3
EXPULSION_STATUSES = (Status.OWN_REQUEST_ORDER_REQUIRED, Status.FAILURE_ORDER_REQUIRED,
                      Status.COMPLETION_ORDER_REQUIRED)


def _manual(queryset: QuerySet) -> QuerySet:
    """Applications of partners in manual order mode for the program's campaign (manual is the
    default without a choice: orders.services.orders.order_mode)."""
    automatic = CampaignParticipation.objects.filter(
        campaign_id=OuterRef("program__campaign_id"), partner_id=OuterRef("partner_id"),
        order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
    return queryset.filter(~Exists(automatic))


# Orders to issue ------------------------------------------------------------------------------

def _enrolment_orders(user) -> QuerySet:
    return (_manual(own_applications(user).filter(status=Status.ENROLMENT_ORDER_REQUIRED))
            .select_related("citizen", "program", "cohort"))


register_queue(
    "orders.enrolment_orders", title=_("Выпустить приказы о зачислении"), group=ORDERS, applies_to=is_partner_staff,
    items=_enrolment_orders, order_by=(F("cohort__start_date").asc(nulls_last=True), "submitted_at", "pk"),
    columns=APPLICATION_COLUMNS, url=lambda a: a.get_absolute_url(),
    due_dates=lambda rows: {row.pk: row.cohort.start_date for row in rows if row.cohort_id}, position=20)


def status_since():
    """When the application reached its current status: its latest history row that moved it there."""
    moved = (ApplicationEvent.objects.filter(subject=OuterRef("pk"), target=OuterRef("status"))
             .exclude(source=F("target")).order_by("-created_at", "-pk").values("created_at")[:1])
    return Coalesce(Subquery(moved), F("updated_at"))


def _expulsion_orders(user) -> QuerySet:
    return (_manual(own_applications(user).filter(status__in=EXPULSION_STATUSES))
            .annotate(status_since=status_since()).select_related("citizen", "program", "cohort"))


def _expulsion_dues(rows) -> dict:
    days = {row.pk: timezone.localdate(row.status_since) for row in rows}
    dues = add_working_days_to_each(set(days.values()), EXPULSION_ORDER_WORKING_DAYS)
    return {pk: dues[day] for pk, day in days.items()}


register_queue(
    "orders.expulsion_orders", title=_("Выпустить приказы об отчислении"), group=ORDERS, applies_to=is_partner_staff,
    items=_expulsion_orders, order_by=("status_since", "pk"),
    columns=(*APPLICATION_COLUMNS[:3], (_("Основание"), lambda a: a.get_status_display())),
    url=lambda a: a.get_absolute_url(), due_dates=_expulsion_dues, position=21)


# Re-keying on Работа России -----------------------------------------------------------------

def _portal_orders(user) -> QuerySet:
    return (open_assignments(user).filter(partner_id__in=user.access.partner_ids)
            .select_related("order", "application__citizen"))


def _portal_order_dues(rows) -> dict:
    days = {row.pk: timezone.localdate(row.assigned_at) for row in rows}
    dues = portal_deadlines(set(days.values()))
    return {pk: dues[day] for pk, day in days.items()}


register_queue(
    "orders.portal_orders", title=_("Внести приказы на «Работе России»"), group=PORTAL, applies_to=is_partner_staff,
    items=_portal_orders, order_by=("assigned_at", "pk"),
    columns=((_("Приказ"), "order.number"), (_("Вид"), "order.kind_display"), (_("Заявка"), "application.rr_number"),
             (_("Гражданин"), "application.citizen.full_name")),
    url=lambda line: reverse("orders:order_detail", args=[line.order_id]), due_dates=_portal_order_dues,
    position=30)


def _portal_qualifications(user) -> QuerySet:
    return (open_qualifications(user).filter(application__partner_id__in=user.access.partner_ids)
            .select_related("application__citizen"))


def _portal_qualification_dues(rows) -> dict:
    days = {row.pk: timezone.localdate(row.created_at) for row in rows}
    dues = portal_deadlines(set(days.values()))
    return {pk: dues[day] for pk, day in days.items()}


register_queue(
    "orders.portal_qualifications", title=_("Внести документы о квалификации на «Работе России»"), group=PORTAL,
    applies_to=is_partner_staff, items=_portal_qualifications, order_by=("created_at", "pk"),
    columns=((_("Заявка"), "application.rr_number"), (_("Гражданин"), "application.citizen.full_name"),
             (_("Серия и номер"), str)),
    url=lambda d: reverse("enrollment:application_detail", args=[d.application_id]),
    due_dates=_portal_qualification_dues, position=31)
