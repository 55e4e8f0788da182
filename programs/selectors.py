"""Program and cohort reads: the list a user may see, the program page's blocks, the cohort
availability rule, the "copy to РР" fields and who is told about a program by e-mail."""
import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organization
from core.access import filter_for_user
from core.calendar import add_working_days
from programs.models import (
    AddOnAgreement,
    Cohort,
    Program,
    ProgramComment,
    ProgramEvent,
    RegionalApproval,
    TrainingContract,
)
from programs.permissions import is_program_partner, may_review_programs, program_actions_for

# РР offers a cohort only if it starts at least this many days after the day of choice …
MIN_DAYS_BEFORE_START = 25
# … and closes enrolment this many working days before the start (reference §2.15a, §5.1).
CLOSE_WORKING_DAYS_BEFORE_START = 14
# The "Периоды обучения" field of the copy tab lists cohorts starting within this horizon (§7.2).
COPY_HORIZON = relativedelta(months=3)

_STATUS_ORDER = Case(*[When(status=value, then=Value(i)) for i, value in enumerate(Program.Status.values)],
                     output_field=IntegerField())
PROGRAM_SORTS = {
    "title": (F("title").asc(), F("pk").asc()),
    "-title": (F("title").desc(), F("pk").desc()),
    "status": (F("status_order").asc(), F("title").asc(), F("pk").asc()),
    "-status": (F("status_order").desc(), F("title").asc(), F("pk").asc()),
    "next_start": (F("next_start").asc(nulls_last=True), F("title").asc(), F("pk").asc()),
    "-next_start": (F("next_start").desc(nulls_last=True), F("title").asc(), F("pk").asc()),
}
DEFAULT_SORT = "title"

EVENT_LABELS = {
    "send_for_approval": gettext_lazy("Отправлена на согласование"),
    "operator_approve": gettext_lazy("Одобрена федеральным оператором"),
    "reject": gettext_lazy("Отклонена федеральным оператором"),
    "region_approve": gettext_lazy("Согласована в регионе"),
    "region_decline": gettext_lazy("Не согласована в регионе"),
    "approve_in_region": gettext_lazy("Согласована в первом регионе"),
    "make_ready": gettext_lazy("Готова к отправке"),
    "mark_sent_to_portal": gettext_lazy("Отправлена на портал «Работа России»"),
    "mark_published": gettext_lazy("Опубликована на портале"),
    "mark_unpublished": gettext_lazy("Снята с публикации"),
    "close": gettext_lazy("Закрыта"),
    "update": gettext_lazy("Карточка изменена"),
    "odin_create": gettext_lazy("Получена из Odin"),
    "odin_update": gettext_lazy("Изменена из Odin"),
    "odin_changes_held": gettext_lazy("Изменения из Odin ждут снятия с публикации"),
    "odin_changes_applied": gettext_lazy("Применены изменения из Odin"),
}
COHORT_EVENT_LABELS = {
    "odin_create": gettext_lazy("Получен из Odin"),
    "odin_update": gettext_lazy("Изменён из Odin"),
    "odin_changes_applied": gettext_lazy("Применены изменения из Odin"),
}


# The list -------------------------------------------------------------------------------------

def _next_cohort_start(today: dt.date) -> Subquery:
    # The index cohort_program_start serves this per-row lookup.
    return Subquery(Cohort.objects.filter(program=OuterRef("pk"), start_date__gte=today, is_archived=False)
                    .order_by("start_date").values("start_date")[:1])


def _filtered(*, user, search: str = "", kind: str = "", region=None, partner=None) -> QuerySet:
    qs = filter_for_user(Program.objects.all(), user)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(short_title__icontains=search) | Q(odin_id__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(pk__in=RegionalApproval.objects.filter(region=region).values("program_id"))
    if partner:
        qs = qs.filter(partner=partner)
    return qs


def program_list_for(*, user, search: str = "", status: str = "", kind: str = "", region=None, partner=None,
                     sort: str = DEFAULT_SORT) -> QuerySet:
    """Programs `user` may see, searched by title, short title or Odin id, filtered by status,
    kind, asked region and partner, with the nearest future cohort start; constant queries."""
    qs = _filtered(user=user, search=search, kind=kind, region=region, partner=partner)
    if status:
        qs = qs.filter(status=status)
    qs = (qs.select_related("partner", "campaign")
          .annotate(next_start=_next_cohort_start(timezone.localdate()), status_order=_STATUS_ORDER)
          .prefetch_related(Prefetch("regional_approvals", queryset=RegionalApproval.objects.order_by("region_id"))))
    return qs.order_by(*PROGRAM_SORTS.get(sort, PROGRAM_SORTS[DEFAULT_SORT]))


def program_partner_choices(*, user) -> QuerySet | None:
    """Partners offered by the list's partner filter: the operator's (all) only; None hides it."""
    if not (user.is_superuser or user.access.sees_all_partners):
        return None
    return filter_for_user(Organization.objects.filter(kind=Organization.Kind.PARTNER), user).order_by("short_name")


def program_status_counts(*, user, search: str = "", kind: str = "", region=None, partner=None) -> list[dict]:
    """Per status, how many programs the other filters leave (one query), in workflow order."""
    rows = dict(_filtered(user=user, search=search, kind=kind, region=region, partner=partner)
                .order_by().values_list("status").annotate(n=Count("pk")))
    return [{"status": value, "label": label, "count": rows.get(value, 0)}
            for value, label in Program.Status.choices]


# The program page -----------------------------------------------------------------------------

def program_detail_queryset() -> QuerySet:
    return (Program.objects.select_related("partner", "partner__region", "campaign", "operator_approved_by")
            .prefetch_related("citizen_categories"))


STATUS_HINTS = {
    Program.Status.PARTNER_REVISION: gettext_lazy(
        "Партнёр заполняет карточку и отправляет программу на согласование."),
    Program.Status.OPERATOR_REVIEW: gettext_lazy(
        "Федеральный оператор проверяет программу: одобряет, выбирая регионы, или отклоняет с комментарием."),
    Program.Status.OPERATOR_REJECTED: gettext_lazy(
        "Партнёр исправляет карточку по комментарию федерального оператора и отправляет программу снова."),
    Program.Status.AWAITING_CONTRACT: gettext_lazy(
        "Ждёт регистрации договора на организацию обучения и согласования предложения о стоимости."),
    Program.Status.READY_TO_SEND: gettext_lazy(
        "Можно размещать на «Работе России»: поля — в разделе «Копировать на РР»."),
    Program.Status.SENT_TO_PORTAL: gettext_lazy(
        "На модерации службы занятости на «Работе России»; изменения из Odin ждут снятия с публикации."),
    Program.Status.PUBLISHED: gettext_lazy(
        "Опубликована: граждане выбирают потоки на «Работе России». Изменения из Odin ждут снятия с публикации."),
    Program.Status.UNPUBLISHED: gettext_lazy(
        "Снята с публикации: изменения из Odin применены. Программу можно отправить на портал снова или закрыть."),
    Program.Status.CLOSED: gettext_lazy("Работа по программе завершена."),
}


def program_status_hint(program: Program) -> str:
    """What the status means and who acts next (one line under the status badge)."""
    if program.status == Program.Status.OPERATOR_REVIEW and program.operator_approved_at:
        return _("Ждёт решения служб занятости выбранных регионов: достаточно согласования одного из них.")
    return str(STATUS_HINTS[program.status])


def program_approvals(program: Program) -> list[RegionalApproval]:
    return list(program.regional_approvals.select_related("region", "decided_by").order_by("region_id"))


def program_history(program: Program) -> QuerySet:
    """Every status change, decision and card edit, newest first."""
    return ProgramEvent.objects.filter(subject=program).select_related("actor").order_by("-created_at", "-pk")


def history_rows(events, status_labels=None, labels=None) -> list[dict]:
    """History rows for a template: the event, what happened, and the status change if any."""
    status_labels, labels = status_labels or {}, labels or EVENT_LABELS
    return [{"event": event, "label": str(labels.get(event.transition, event.transition)),
             "changed": event.source != event.target,
             "source": str(status_labels.get(event.source, event.source)),
             "target": str(status_labels.get(event.target, event.target))} for event in events]


def program_page_context(program: Program, user) -> dict:
    """Everything the program page shows, with the actions `user` may take now."""
    approvals = program_approvals(program)
    actions = program_actions_for(user, program, approvals)
    cohort_rows = program_cohort_rows(program)
    sees_copy = is_program_partner(user, program) or may_review_programs(user)
    return {
        "program": program, "actions": actions, "status_hint": program_status_hint(program),
        "contacts": program_effective_contacts(program),
        "categories": list(program.citizen_categories.all()),
        "missing": program_missing_fields(program) if actions.can_send else [],
        "pending_changes": program_pending_changes(program),
        "cohort_rows": cohort_rows,
        "approval_rows": [{"approval": a, "can_decide": a.pk in actions.decidable_approval_ids} for a in approvals],
        "history": history_rows(program_history(program), dict(Program.Status.choices)),
        "comments": program_comments(program),
        "copy_sections": program_copy_sections(program, cohort_rows) if sees_copy else [],
    }


def program_comments(program: Program) -> QuerySet:
    return ProgramComment.objects.filter(program=program).select_related("author").order_by("created_at", "pk")


def program_effective_contacts(program: Program) -> dict:
    """The contacts published on РР: the program's own, else the organisation card's."""
    partner = program.partner
    return {
        "email": program.contact_email or partner.contact_email,
        "email_from_organization": not program.contact_email and bool(partner.contact_email),
        "phone": program.contact_phone or partner.contact_phone,
        "phone_from_organization": not program.contact_phone and bool(partner.contact_phone),
    }


def program_missing_fields(program: Program) -> list[str]:
    """Labels of what the partner must fill in before sending the program for approval."""
    contacts = program_effective_contacts(program)
    required = [
        (program.rr_direction, _("направление на «Работе России»")),
        (program.rr_profession, _("профессия на «Работе России»")),
        (program.education_level, _("минимальный уровень образования")),
        (program.qualification_level, _("уровень квалификации")),
        (program.citizen_categories.exists(), _("категории граждан")),
        (contacts["email"], _("e-mail для «Работы России»")),
        (contacts["phone"], _("телефон для «Работы России»")),
    ]
    if program.implementation_form == Program.ImplementationForm.NETWORK:
        required.append((program.network_partner_name, _("сетевой партнёр")))
    return [str(label) for value, label in required if not value]


def program_pending_changes(program: Program) -> list[dict]:
    """The Odin changes held while the program is on РР (programs.services.odin): each field with
    its current → new value and since when; cohort changes (under "cohorts") and new held cohorts
    too. Entries: {"label", "old", "new", "since"}."""
    pending = dict(program.pending_odin_changes or {})
    waiting = pending.pop("cohorts", {}) or {}
    since = program.pending_odin_since
    rows = [{"label": _field_label(Program, name), "old": _display(Program, name, getattr(program, name, None)),
             "new": _display(Program, name, value), "since": since} for name, value in pending.items()]
    cohorts = {c.odin_id: c for c in program.cohorts.filter(Q(odin_id__in=list(waiting)) | Q(is_held=True))}
    for odin_id, changes in waiting.items():
        cohort = cohorts.get(odin_id)
        for name, value in (changes or {}).items():
            rows.append({"label": _("Поток %(id)s: %(field)s") % {"id": odin_id, "field": _field_label(Cohort, name)},
                         "old": _display(Cohort, name, getattr(cohort, name, None)),
                         "new": _display(Cohort, name, value), "since": since})
    for cohort in cohorts.values():
        if cohort.is_held:
            rows.append({"label": _("Новый поток %(id)s") % {"id": cohort.odin_id}, "old": "—",
                         "new": f"{cohort.start_date:%d.%m.%Y} — {cohort.end_date:%d.%m.%Y}", "since": since})
    return rows


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field Flow does not know (yet): its raw name
        return name


def _display(model, name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if isinstance(value, str) and model_field.get_internal_type() == "DateField":
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    return str(dict(model_field.flatchoices).get(value, value))


# Cohorts --------------------------------------------------------------------------------------

def cohort_chosen_count(cohort: Cohort) -> int:
    """Citizens who chose this cohort. Applications arrive with a later issue: until then 0,
    and this is the one place to change."""
    return 0


def program_contract_valid_until(program: Program) -> dt.date | None:
    """The latest end of validity of a registered training contract covering the program
    (directly or through a signed add-on agreement); None when there is none."""
    covering = TrainingContract.objects.filter(
        Q(programs=program)
        | Q(addons__status=AddOnAgreement.Status.SIGNED_BY_BOTH, addons__programs=program),
        status=TrainingContract.Status.REGISTERED, partner_id=program.partner_id)
    return covering.aggregate(until=Max("valid_until"))["until"]


@dataclass(frozen=True)
class CohortAvailability:
    """Whether citizens may choose the cohort on РР today, and if not, why."""

    is_open: bool
    reasons: tuple[str, ...]
    closes_on: dt.date
    contract_valid_until: dt.date | None


def cohort_availability(*, start_date: dt.date, end_date: dt.date, max_students: int | None, chosen: int,
                        is_archived: bool, is_held: bool, contract_valid_until: dt.date | None,
                        today: dt.date) -> CohortAvailability:
    """The availability rule (reference §2.15a, §5.1): open for choice on РР when it starts at
    least 25 days after `today`, before its closing day (14 working days before the start), ends
    within the covering contract's validity, has quota left (empty = unlimited, 0 = closed), and
    is neither archived nor held. No writes; reads only the working-day calendar."""
    closes_on = add_working_days(start_date, -CLOSE_WORKING_DAYS_BEFORE_START)
    reasons = []
    if is_archived:
        reasons.append(_("Поток в архиве."))
    if is_held:
        reasons.append(_("Поток ожидает снятия программы с публикации."))
    if today >= closes_on:
        reasons.append(_("Набор закрыт: за 14 рабочих дней до начала (с %(date)s).")
                       % {"date": closes_on.strftime("%d.%m.%Y")})
    elif (start_date - today).days < MIN_DAYS_BEFORE_START:
        reasons.append(_("До начала обучения меньше 25 дней."))
    if contract_valid_until is None:
        reasons.append(_("Нет договора."))
    elif end_date > contract_valid_until:
        reasons.append(_("Обучение заканчивается позже срока действия договора (%(date)s).")
                       % {"date": contract_valid_until.strftime("%d.%m.%Y")})
    if max_students == 0:
        reasons.append(_("Набор закрыт: квота 0."))
    elif max_students is not None and chosen >= max_students:
        reasons.append(_("Квота исчерпана."))
    return CohortAvailability(is_open=not reasons, reasons=tuple(reasons), closes_on=closes_on,
                              contract_valid_until=contract_valid_until)


def cohort_availability_for(cohort: Cohort, *, contract_valid_until=None, today=None) -> CohortAvailability:
    if contract_valid_until is None:
        contract_valid_until = program_contract_valid_until(cohort.program)
    return cohort_availability(
        start_date=cohort.start_date, end_date=cohort.end_date, max_students=cohort.max_students,
        chosen=cohort_chosen_count(cohort), is_archived=cohort.is_archived, is_held=cohort.is_held,
        contract_valid_until=contract_valid_until, today=today or timezone.localdate())


def program_cohort_rows(program: Program, *, today=None) -> list[dict]:
    """The program's cohorts with their availability (one contract query for all)."""
    today = today or timezone.localdate()
    until = program_contract_valid_until(program)
    rows = []
    for cohort in program.cohorts.order_by("start_date", "pk"):
        availability = cohort_availability(
            start_date=cohort.start_date, end_date=cohort.end_date, max_students=cohort.max_students,
            chosen=cohort_chosen_count(cohort), is_archived=cohort.is_archived, is_held=cohort.is_held,
            contract_valid_until=until, today=today)
        rows.append({"cohort": cohort, "availability": availability, "chosen": cohort_chosen_count(cohort)})
    return rows


def cohort_detail_queryset() -> QuerySet:
    return Cohort.objects.select_related("program", "program__partner")


def cohort_history_rows(cohort: Cohort) -> list[dict]:
    """The cohort's history (changes from Odin, holds), newest first."""
    return history_rows(cohort.events.select_related("actor").order_by("-created_at", "-pk"),
                        labels=COHORT_EVENT_LABELS)


# Copy to РР -----------------------------------------------------------------------------------

def program_article_code(program: Program) -> str:
    """The article code Flow puts into РР's address notes and descriptions: it links the Flow
    program with the РР one (reference §7.2)."""
    return f"FLOW-{program.pk}"


def program_copy_sections(program: Program, cohort_rows: list[dict], *, today=None) -> list[dict]:
    """The fields of РР's program form, in РР's order and with РР's names."""
    today = today or timezone.localdate()
    partner, contacts, article = program.partner, program_effective_contacts(program), program_article_code(program)
    periods = [f"{row['cohort'].start_date:%d.%m.%Y} — {row['cohort'].end_date:%d.%m.%Y}" for row in cohort_rows
               if row["availability"].is_open and row["cohort"].start_date <= today + COPY_HORIZON]
    yes, no = _("Да"), _("Нет")
    organizer = [
        (_("Электронная почта"), contacts["email"]),
        (_("Телефон"), contacts["phone"]),
        (_("Сайт"), partner.website),
        (_("Регион"), partner.region.name if partner.region else ""),
        (_("Адрес"), partner.postal_address or partner.legal_address),
        (_("Примечания к адресу"), _("Артикул программы: %(code)s") % {"code": article}),
    ]
    about = [
        (_("Наименование программы"), program.title),
        (_("Вид программы"), program.get_kind_display()),
        (_("Направление"), program.rr_direction),
        (_("Профессия"), program.rr_profession),
        (_("Форма обучения"), program.get_study_form_display()
         + (", " + _("с применением дистанционных технологий") if program.is_mostly_distance else "")),
        (_("Продолжительность обучения, академических часов"), str(program.academic_hours)),
        (_("Минимальный уровень образования"), program.get_education_level_display()),
        (_("Уровень квалификации"), program.qualification_level),
        (_("Выдаваемый документ"), program.document_issued),
        (_("Стажировка"), yes if program.with_internship else no),
        (_("Категории граждан"), "; ".join(c.name for c in program.citizen_categories.all())),
        (_("Информация о работодателях"), program.employer_info),
        (_("Краткое описание"), f"{program.short_title or program.title}. {article}"),
        (_("Периоды обучения"), "\n".join(periods)),
    ]
    return [
        {"title": _("Контакты организатора"), "slug": "organizer", "fields": _copy_fields("organizer", organizer)},
        {"title": _("Об образовательной программе"), "slug": "about", "fields": _copy_fields("about", about)},
    ]


def _copy_fields(prefix: str, pairs) -> list[dict]:
    return [{"id": f"copy-{prefix}-{i}", "name": str(name), "value": str(value or "")}
            for i, (name, value) in enumerate(pairs, start=1)]


# Who is told ----------------------------------------------------------------------------------

def _emails(memberships: QuerySet) -> list[str]:
    return list(memberships.filter(user__is_active=True).order_by("user__email")
                .values_list("user__email", flat=True).distinct())


def operator_reviewer_emails() -> list[str]:
    """Active operator reviewers: told when a program is sent for approval."""
    return _emails(Membership.objects.active().filter(role=Membership.Role.OPERATOR_REVIEWER))


def partner_staff_emails(partner_id: int) -> list[str]:
    """The partner's active staff: told of every decision on its programs."""
    return _emails(Membership.objects.active().filter(role=Membership.Role.PARTNER_STAFF,
                                                      organization_id=partner_id))


def region_reviewer_emails(region_codes) -> dict[str, list[str]]:
    """E-mail → region codes, for the active reviewers of employment services working in them."""
    rows = (Membership.objects.active()
            .filter(role=Membership.Role.EMPLOYMENT_REVIEWER, user__is_active=True,
                    organization__kind=Organization.Kind.EMPLOYMENT_SERVICE,
                    organization__regions__in=list(region_codes))
            .values_list("user__email", "organization__regions").distinct())
    found: dict[str, list[str]] = {}
    for email, region in rows:
        if region in region_codes and region not in found.setdefault(email, []):
            found[email].append(region)
    return {email: sorted(regions) for email, regions in found.items()}
