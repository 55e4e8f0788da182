"""Work queues of the cohorts' reporting documents (core.queues; issue #7).

Partner staff: assignments to sign, journals to upload, acts to generate, to correct after a
rejection and to sign. The operator: assignments to generate, to sign and to register, acts to
review, signatures and invoices to check, reports to generate and to sign.

Due dates (reference §5.4): the operator reviews an act by its `review_due` (15 working days), the
partner answers a rejection by its `answer_due` (3 working days) and signs an approved act within
SIGN_WORKING_DAYS working days of the approval (the time of the act's "approve" history row). The
other steps have no deadline in the reference: the longest waiting first, no due date. "Ready to
generate" is cohorts.selectors.cohort_queue's own annotation.
"""
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cohorts.models import Act, ActEvent, Assignment, EmploymentReport
from cohorts.selectors import ActState, AssignmentState, ReportState, cohort_queue
from core.access import filter_for_user
from core.calendar import add_working_days_to_each
from core.queues import register_queue
from enrollment.models import Application
from programs.models import Cohort
from programs.queues import is_operator, is_partner_staff

COHORTS = _("Потоки, задания и акты")
# The partner signs an approved act and attaches the invoice within 3 working days (§5.4 step 4).
SIGN_WORKING_DAYS = 3


def _period(cohort: Cohort) -> str:
    return f"{cohort.start_date:%d.%m.%Y}–{cohort.end_date:%d.%m.%Y}"


def _cohort_url(cohort: Cohort) -> str:
    return reverse("cohorts:cohort_detail", args=[cohort.pk])


def _own(queryset: QuerySet, user, partner_path: str = "partner_id") -> QuerySet:
    """What the user may see of `queryset`, kept to the user's own partner organisations."""
    return filter_for_user(queryset, user).filter(**{f"{partner_path}__in": user.access.partner_ids})


COHORT_COLUMNS = ((_("Поток"), _period), (_("Программа"), "program.title"))
OPERATOR_COHORT_COLUMNS = (*COHORT_COLUMNS, (_("Партнёр"), "program.partner.short_name"))
ACT_COLUMNS = ((_("Акт"), "number"), (_("Поток"), lambda act: _period(act.cohort)),
               (_("Программа"), "cohort.program.title"), (_("Сумма, ₽"), "amount"))
OPERATOR_ACT_COLUMNS = (*ACT_COLUMNS[:1], (_("Партнёр"), "partner.short_name"), *ACT_COLUMNS[1:])
ASSIGNMENT_COLUMNS = ((_("Задание"), "number"), (_("Поток"), lambda a: _period(a.cohort)),
                      (_("Программа"), "cohort.program.title"), (_("Статус"), "get_status_display"))


def _ready(user, *, own: bool, **state) -> QuerySet:
    """cohort_queue's cohorts in a "ready to generate" state, without the list page's prefetches."""
    qs = cohort_queue(user, **state).prefetch_related(None)
    return qs.filter(program__partner_id__in=user.access.partner_ids) if own else qs


def _acts(user, statuses, *, own: bool) -> QuerySet:
    qs = Act.objects.filter(status__in=statuses).select_related("cohort__program", "partner")
    return _own(qs, user) if own else filter_for_user(qs, user)


def _assignments(user, statuses, *, own: bool) -> QuerySet:
    qs = Assignment.objects.filter(status__in=statuses).select_related("cohort__program", "partner")
    return _own(qs, user) if own else filter_for_user(qs, user)


# Partner staff --------------------------------------------------------------------------------

register_queue(
    "cohorts.assignments_partner", title=_("Подписать задания"), group=COHORTS, applies_to=is_partner_staff,
    items=lambda user: _assignments(user, [Assignment.Status.SIGNED_BY_OPERATOR], own=True),
    order_by=("assignment_date", "pk"), columns=ASSIGNMENT_COLUMNS, url=lambda a: _cohort_url(a.cohort),
    position=40)


def _journals(user) -> QuerySet:
    """Ended cohorts (journals.journal_open: from the day after the end) with a citizen who completed
    successfully, whose journal package is not in yet or was rejected with an act."""
    completed = Application.objects.filter(cohort=OuterRef("pk"), result=Application.Result.SUCCESSFUL)
    return (_own(Cohort.objects.all(), user, "program__partner_id")
            .filter(end_date__lt=timezone.localdate())
            .filter(Q(journal_package__isnull=True) | Q(journal_package__rejected_at__isnull=False))
            .filter(Exists(completed)).select_related("program"))


register_queue(
    "cohorts.journals", title=_("Загрузить журнал и скриншоты"), group=COHORTS, applies_to=is_partner_staff,
    items=_journals, order_by=("end_date", "pk"), columns=COHORT_COLUMNS, url=_cohort_url, position=41)

register_queue(
    "cohorts.acts_to_generate", title=_("Сформировать акты"), group=COHORTS, applies_to=is_partner_staff,
    items=lambda user: _ready(user, own=True, act=ActState.READY), order_by=("end_date", "pk"),
    columns=COHORT_COLUMNS, url=_cohort_url, position=42)

register_queue(
    "cohorts.acts_rejected", title=_("Исправить отклонённые акты"), group=COHORTS, applies_to=is_partner_staff,
    items=lambda user: _acts(user, [Act.Status.REJECTED], own=True),
    order_by=(F("answer_due").asc(nulls_last=True), "pk"), columns=ACT_COLUMNS, url=lambda a: _cohort_url(a.cohort),
    due_dates=lambda rows: {row.pk: row.answer_due for row in rows if row.answer_due}, position=43)


def approved_at():
    """When the act was approved: its latest "approve" history row (its updated_at when there is none)."""
    approvals = (ActEvent.objects.filter(subject=OuterRef("pk"), transition="approve")
                 .order_by("-created_at", "-pk").values("created_at")[:1])
    return Coalesce(Subquery(approvals), F("updated_at"))


def _sign_dues(rows) -> dict:
    days = {row.pk: timezone.localdate(row.approved_at) for row in rows}
    dues = add_working_days_to_each(set(days.values()), SIGN_WORKING_DAYS)
    return {pk: dues[day] for pk, day in days.items()}


register_queue(
    "cohorts.acts_to_sign", title=_("Подписать акты и приложить счёт"), group=COHORTS, applies_to=is_partner_staff,
    items=lambda user: _acts(user, [Act.Status.APPROVED], own=True).annotate(approved_at=approved_at()),
    order_by=("approved_at", "pk"), columns=ACT_COLUMNS, url=lambda a: _cohort_url(a.cohort),
    due_dates=_sign_dues, position=44)


# The operator ---------------------------------------------------------------------------------

register_queue(
    "cohorts.assignments_to_generate", title=_("Сформировать задания"), group=COHORTS, applies_to=is_operator,
    items=lambda user: _ready(user, own=False, assignment=AssignmentState.READY).select_related("program__partner"),
    order_by=("start_date", "pk"), columns=OPERATOR_COHORT_COLUMNS, url=_cohort_url, position=45)

register_queue(
    "cohorts.assignments_operator", title=_("Подписать и зарегистрировать задания"), group=COHORTS,
    applies_to=is_operator,
    items=lambda user: _assignments(user, [Assignment.Status.READY, Assignment.Status.SIGNED_BY_BOTH], own=False),
    order_by=("assignment_date", "pk"),
    columns=(*ASSIGNMENT_COLUMNS[:1], (_("Партнёр"), "partner.short_name"), *ASSIGNMENT_COLUMNS[1:]),
    url=lambda a: _cohort_url(a.cohort), position=46)

register_queue(
    "cohorts.acts_review", title=_("Согласовать акты"), group=COHORTS, applies_to=is_operator,
    items=lambda user: _acts(user, [Act.Status.UNDER_REVIEW], own=False),
    order_by=(F("review_due").asc(nulls_last=True), "pk"), columns=OPERATOR_ACT_COLUMNS,
    url=lambda a: _cohort_url(a.cohort),
    due_dates=lambda rows: {row.pk: row.review_due for row in rows if row.review_due}, position=47)

register_queue(
    "cohorts.act_signatures", title=_("Проверить подпись и счёт, подписать акты"), group=COHORTS,
    applies_to=is_operator,
    items=lambda user: _acts(user, [Act.Status.SIGNED_BY_PARTNER, Act.Status.SIGNATURE_CHECK], own=False),
    order_by=("updated_at", "pk"), columns=OPERATOR_ACT_COLUMNS, url=lambda a: _cohort_url(a.cohort), position=48)

register_queue(
    "cohorts.reports_to_generate", title=_("Сформировать отчёты"), group=COHORTS, applies_to=is_operator,
    items=lambda user: _ready(user, own=False, report=ReportState.READY).select_related("program__partner"),
    order_by=("end_date", "pk"), columns=OPERATOR_COHORT_COLUMNS, url=_cohort_url, position=49)


def _reports(user) -> QuerySet:
    return (filter_for_user(EmploymentReport.objects.filter(status=EmploymentReport.Status.GENERATED), user)
            .select_related("act__cohort__program", "partner"))


register_queue(
    "cohorts.reports_to_sign", title=_("Подписать отчёты"), group=COHORTS, applies_to=is_operator, items=_reports,
    order_by=("created_at", "pk"),
    columns=((_("Отчёт"), "number"), (_("Акт"), "act.number"), (_("Партнёр"), "partner.short_name"),
             (_("Поток"), lambda r: _period(r.act.cohort))),
    url=lambda r: _cohort_url(r.act.cohort), position=50)
