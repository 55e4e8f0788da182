"""Work queues of the applications (core.queues; issue #7).

Partner staff: the documents to check — primary and enrolment documents, withdrawal requests,
employment proofs — and the qualification documents to issue. The operator: the partners whose
document checks are overdue. Employment-service reviewers: their region's applications in progress.

Due dates follow enrollment.services.deadlines (reference §3.4) and the transition table (§2.1.1),
counted in working days; each page's are computed with one read of the calendar. Every queryset is
scoped through core.access first; partner queues then keep to the user's own organisations (a
partner's work, even for a user who also reads a region's applications).
"""
import datetime as dt

from django.db.models import Case, Count, F, IntegerField, Min, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.access import filter_for_user
from core.calendar import add_working_days_to_each
from core.queues import register_queue
from enrollment.models import Application, ApplicationDocument, WithdrawalRequest
from enrollment.services.deadlines import REVIEW_STATUSES, check_deadlines
from programs.queues import REGION, is_employment_reviewer, is_operator, is_partner_staff

Status = Application.Status
DocStatus = ApplicationDocument.Status

DOCUMENTS = _("Проверка документов")
ORDERS = _("Приказы и документы о квалификации")
DEADLINES = _("Контроль сроков")

# The partner decides a withdrawal request before the training ends (reference §2.1.1 row 13):
# by the last working day before the end date.
WITHDRAWAL_DECISION_WORKING_DAYS = -1
# The qualification document goes to the citizen by registered mail within 15 calendar days after
# the final attestation (reference §5.3, a contract clause): it has to be issued, and entered, by then.
QUALIFICATION_CALENDAR_DAYS = 15
# Statuses in the order of the workflow, for the region's list.
STATUS_ORDER = Case(*[When(status=value, then=Value(i)) for i, value in enumerate(Status.values)],
                    output_field=IntegerField())


def own_applications(user) -> QuerySet:
    """The applications of the user's own partner organisations, through the access door."""
    return filter_for_user(Application.objects.all(), user).filter(partner_id__in=user.access.partner_ids)


def _period(cohort) -> str:
    if cohort is None:
        return ""
    return f"{cohort.start_date:%d.%m.%Y}–{cohort.end_date:%d.%m.%Y}"


def _day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return f"{value:%d.%m.%Y}"


def _application_url(application: Application) -> str:
    return reverse("enrollment:application_detail", args=[application.pk])


APPLICATION_COLUMNS = (
    (_("Заявка"), "rr_number"),
    (_("Гражданин"), "citizen.full_name"),
    (_("Программа"), "program.title"),
    (_("Поток"), lambda a: _period(a.cohort)),
)


def _by_cohort_start(rows) -> dict:
    """The document-check deadline of each row's cohort (none without a cohort)."""
    deadlines = check_deadlines({row.cohort.start_date for row in rows if row.cohort_id})
    return {row.pk: deadlines[row.cohort.start_date] for row in rows if row.cohort_id}


# Documents to check (partner staff) ---------------------------------------------------------

def _in_check(user, status: str) -> QuerySet:
    # Inactive applications (the citizen applied again) are no longer worked on: they stay out.
    return (own_applications(user).filter(status=status, is_active=True)
            .select_related("citizen", "program", "cohort"))


START_FIRST = (F("cohort__start_date").asc(nulls_last=True), "submitted_at", "pk")

register_queue(
    "enrollment.primary_check", title=_("Проверить первичные документы"), group=DOCUMENTS,
    applies_to=is_partner_staff, items=lambda user: _in_check(user, Status.PRIMARY_DOCS_REVIEW),
    order_by=START_FIRST, columns=APPLICATION_COLUMNS, url=_application_url, due_dates=_by_cohort_start,
    position=10)

register_queue(
    "enrollment.enrolment_check", title=_("Проверить документы на зачисление"), group=DOCUMENTS,
    applies_to=is_partner_staff, items=lambda user: _in_check(user, Status.ENROLMENT_DOCS_REVIEW),
    order_by=START_FIRST, columns=APPLICATION_COLUMNS, url=_application_url, due_dates=_by_cohort_start,
    position=11)


def _withdrawals(user) -> QuerySet:
    return (WithdrawalRequest.objects.filter(status=WithdrawalRequest.Status.REVIEW,
                                             application__in=own_applications(user))
            .select_related("application__citizen", "application__cohort"))


def _withdrawal_dues(rows) -> dict:
    ends = add_working_days_to_each({row.application.cohort.end_date for row in rows if row.application.cohort_id},
                                    WITHDRAWAL_DECISION_WORKING_DAYS)
    return {row.pk: ends[row.application.cohort.end_date] for row in rows if row.application.cohort_id}


register_queue(
    "enrollment.withdrawal_check", title=_("Проверить заявления на отчисление"), group=DOCUMENTS,
    applies_to=is_partner_staff, items=_withdrawals,
    order_by=(F("application__cohort__end_date").asc(nulls_last=True), "created_at", "pk"),
    columns=((_("Заявка"), "application.rr_number"), (_("Гражданин"), "application.citizen.full_name"),
             (_("Подано"), lambda w: _day(w.created_at)), (_("Поток"), lambda w: _period(w.application.cohort))),
    url=lambda w: _application_url(w.application), due_dates=_withdrawal_dues, position=12)


def _employment_proofs(user) -> QuerySet:
    # No deadline is set for this check (reference §2.3, §3.2): the oldest upload first.
    return (ApplicationDocument.objects.filter(kind=ApplicationDocument.Kind.EMPLOYMENT_PROOF, status=DocStatus.NEW,
                                               is_current=True, application__in=own_applications(user))
            .select_related("application__citizen"))


register_queue(
    "enrollment.employment_proofs", title=_("Проверить документы о трудоустройстве"), group=DOCUMENTS,
    applies_to=is_partner_staff, items=_employment_proofs, order_by=("uploaded_at", "pk"),
    columns=((_("Заявка"), "application.rr_number"), (_("Гражданин"), "application.citizen.full_name"),
             (_("Загружен"), lambda d: _day(d.uploaded_at))),
    url=lambda d: reverse("enrollment:document_check", args=[d.pk]), position=13)


# Qualification documents to issue (partner staff) ------------------------------------------

def _qualifications(user) -> QuerySet:
    return (own_applications(user)
            .filter(status__in=[Status.QUALIFICATION_DOC_REQUIRED, Status.QUALIFICATION_SCAN_REQUIRED])
            .select_related("citizen", "program", "cohort"))


def _qualification_dues(rows) -> dict:
    return {row.pk: row.expelled_on + dt.timedelta(days=QUALIFICATION_CALENDAR_DAYS)
            for row in rows if row.expelled_on}


register_queue(
    "enrollment.qualification_documents", title=_("Внести документы о квалификации"), group=ORDERS,
    applies_to=is_partner_staff, items=_qualifications,
    order_by=(F("expelled_on").asc(nulls_last=True), "pk"),
    columns=(*APPLICATION_COLUMNS[:3], (_("Что внести"), lambda a: _("данные и скан")
                                         if a.status == Status.QUALIFICATION_DOC_REQUIRED else _("скан"))),
    url=lambda a: reverse("enrollment:qualification_edit", args=[a.pk]), due_dates=_qualification_dues,
    position=22)


# Overdue document checks by partner (operator) -----------------------------------------------

def _overdue_partners(user) -> QuerySet:
    """Partners with applications still in a document check whose current documents the beat marked
    overdue (deadlines.documents_mark_overdue), with how many and the earliest cohort start."""
    overdue = (filter_for_user(Application.objects.all(), user)
               .filter(status__in=REVIEW_STATUSES, is_active=True, documents__is_current=True,
                       documents__status=DocStatus.OVERDUE).values("pk"))
    late = Q(applications__in=overdue)
    return (filter_for_user(Organization.objects.filter(kind=Organization.Kind.PARTNER), user)
            .annotate(overdue_count=Count("applications", filter=late, distinct=True),
                      oldest_start=Min("applications__cohort__start_date", filter=late))
            .filter(overdue_count__gt=0))


def _overdue_dues(rows) -> dict:
    deadlines = check_deadlines({row.oldest_start for row in rows if row.oldest_start})
    return {row.pk: deadlines[row.oldest_start] for row in rows if row.oldest_start}


register_queue(
    "enrollment.overdue_checks", title=_("Партнёры с просроченной проверкой документов"), group=DEADLINES,
    applies_to=is_operator, items=_overdue_partners,
    order_by=(F("oldest_start").asc(nulls_last=True), "short_name", "pk"),
    columns=((_("Партнёр"), "short_name"), (_("Заявок с просроченной проверкой"), "overdue_count")),
    url=lambda org: reverse("accounts:organization_detail", args=[org.pk]), due_dates=_overdue_dues, position=5)


# The region's applications (employment-service reviewers) -------------------------------------

def _region_applications(user) -> QuerySet:
    """The region's active applications still in progress, in the order of the workflow; the
    per-status counts are the applications list's (enrollment:application_list)."""
    return (filter_for_user(Application.objects.all(), user)
            .filter(region_id__in=user.access.region_codes, is_active=True)
            .exclude(status__in=Application.FINAL)
            .annotate(status_order=STATUS_ORDER)
            .select_related("citizen", "program", "partner"))


register_queue(
    "enrollment.region_applications", title=_("Заявки граждан региона в работе"), group=REGION,
    applies_to=is_employment_reviewer, items=_region_applications,
    order_by=("status_order", "submitted_at", "pk"),
    columns=((_("Заявка"), "rr_number"), (_("Гражданин"), "citizen.full_name"), (_("Статус"), "get_status_display"),
             (_("Партнёр"), "partner.short_name"), (_("Подана"), lambda a: _day(a.submitted_at))),
    url=_application_url, position=81)

