"""Reads of the partner's side of applications: the configurable list (columns, per-column search,
filters, global search, sorting, counters per status), the application page's blocks and actions,
and what is late for the staff desk. Everything is scoped through core.access first.

Search is shaped for the indexes (reference §7.1; STYLE anti-pattern 12): the number, SNILS and
e-mail are matched by prefix (`LIKE 'x%'`, served by the `_like` pattern indexes Django adds to
unique and indexed character fields on PostgreSQL); the global search first finds the matching
citizens (one small query) and then the applications by `rr_number` or `citizen_id`, so no OR
across a join forces a scan of the applications table.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from core.access import filter_for_user
from enrollment.models import (
    Application,
    ApplicationBlank,
    ApplicationColumnSet,
    ApplicationDocument,
    ApplicationEvent,
    Citizen,
    WithdrawalRequest,
)
from enrollment.permissions import (
    ALL_PARTY_CONTRACT_OPEN,
    BLANKS_OPEN,
    DATA_EDITABLE,
    QUALIFICATION_OPEN,
    is_application_partner,
    may_replace_documents,
    may_see_blanks,
    may_see_passport,
    may_see_personal_files,
    visible_kinds,
)
from privacy.masking import mask_snils
from programs.models import Cohort

Kind = ApplicationDocument.Kind
# Global search: at most this many citizens are matched by name, SNILS or e-mail.
CITIZEN_MATCH_LIMIT = 1000
DIGITS = re.compile(r"\D+")


# Columns --------------------------------------------------------------------------------------

def _words(value: str) -> list[str]:
    return [w for w in value.split() if w][:3]


def _name_q(value: str, prefix: str = "citizen__") -> Q:
    """«Петров», «Петров Пётр», «петров п»: surname, then first name, then patronymic, by prefix."""
    fields = ("last_name", "first_name", "middle_name")
    q = Q()
    for field, word in zip(fields, _words(value), strict=False):
        # istartswith is case-blind on PostgreSQL; SQLite folds only ASCII, hence the capitalised form.
        q &= Q(**{f"{prefix}{field}__istartswith": word}) | Q(**{f"{prefix}{field}__startswith": word.capitalize()})
    return q


def _prefix_q(field: str, value: str) -> Q:
    """Prefix match as typed and upper-cased (each served by the field's pattern index)."""
    value = value.strip()
    return Q(**{f"{field}__startswith": value}) | Q(**{f"{field}__startswith": value.upper()})


def _snils_q(value: str) -> Q:
    """Citizens (not applications) whose SNILS begins with the digits typed."""
    digits = DIGITS.sub("", value)
    return Q(snils__startswith=digits) if digits else Q(pk__in=[])


def _email_q(value: str) -> Q:
    value = value.strip()
    return Q(email__startswith=value.lower()) | Q(email__startswith=value)


def _phone_q(value: str) -> Q:
    return Q(phone__contains=DIGITS.sub("", value)[-7:] or value.strip())


# One dict for every row: `get_status_display` rebuilds it per call (36 % of a 1M-row export, bench).
STATUS_LABELS = dict(Application.Status.choices)


def _status_q(value: str) -> Q:
    value = value.strip().lower()
    return Q(status__in=[code for code, label in Application.Status.choices if value in str(label).lower()])


def _active_q(value: str) -> Q:
    value = value.strip().lower()
    if value in ("да", "yes", "1", "+", "активна"):
        return Q(is_active=True)
    if value in ("нет", "no", "0", "-", "неактивна"):
        return Q(is_active=False)
    return Q()


def _date_q(value: str) -> Q:
    try:
        day = datetime.strptime(value.strip(), "%d.%m.%Y").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        return Q(pk__in=[])
    return Q(submitted_at__date=day)


def _cohort_q(value: str) -> Q:
    value = value.strip().lstrip("#")
    return Q(cohort__odin_id__icontains=value) | Q(cohort__program__title__icontains=value)


def _yes_no(value: bool) -> str:
    return str(_("да") if value else _("нет"))


def _date(value) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def cohort_label(cohort_id, odin_id, start_date, end_date) -> str:
    """«odin_id: start–end» of a cohort's fields ("" without a cohort): the list's cell of an
    instance below, and the export's of a row's fields (enrollment.exports)."""
    if cohort_id is None:
        return ""
    return f"{odin_id}: {_date(start_date)}–{_date(end_date)}"


def _cohort_label(app: Application) -> str:
    cohort = app.cohort
    if cohort is None:
        return ""
    return cohort_label(cohort.pk, cohort.odin_id, cohort.start_date, cohort.end_date)


@dataclass(frozen=True)
class Column:
    """One column of the applications list: header, sort keys, per-column search, cell value."""

    key: str
    label: str
    value: object  # callable(application) -> the cell's text or value
    sort: tuple = ()
    search: object = None  # callable(text) -> Q on applications, or on citizens when `of_citizen`
    of_citizen: bool = False
    # What the list page shows, when it must show less than the export holds (a masked SNILS:
    # lists are read over shoulders, PDN-10; the audited export and the application page keep it).
    shown: object = None
    # The fields `value` reads (`citizen__…` through the relation): the list page loads only these
    # for its 50 rows, not whole citizens with their passports.
    fields: tuple = ()

    def cell(self, application):
        return (self.shown or self.value)(application)


COLUMNS = {c.key: c for c in (
    Column("number", _("Номер"), lambda a: a.rr_number, ("rr_number",), lambda v: _prefix_q("rr_number", v),
           fields=("rr_number",)),
    Column("name", _("ФИО"), lambda a: a.citizen.full_name, ("citizen__last_name", "citizen__first_name"),
           lambda v: _name_q(v, prefix=""), of_citizen=True,
           fields=("citizen__last_name", "citizen__first_name", "citizen__middle_name")),
    Column("active", _("Активная"), lambda a: _yes_no(a.is_active), ("is_active",), _active_q,
           fields=("is_active",)),
    Column("status", _("Статус"), lambda a: STATUS_LABELS.get(a.status, a.status), ("status",), _status_q,
           fields=("status",)),
    Column("snils", _("СНИЛС"), lambda a: a.citizen.snils, ("citizen__snils",), _snils_q, of_citizen=True,
           shown=lambda a: mask_snils(a.citizen.snils), fields=("citizen__snils",)),
    Column("email", _("E-mail"), lambda a: a.citizen.email, ("citizen__email",), _email_q, of_citizen=True,
           fields=("citizen__email",)),
    Column("program", _("Программа"), lambda a: a.program.title, ("program__title",),
           lambda v: Q(program__title__icontains=v.strip()), fields=("program__title",)),
    Column("cohort", _("Поток"), _cohort_label, ("cohort__start_date",), _cohort_q,
           fields=("cohort__odin_id", "cohort__start_date", "cohort__end_date")),
    Column("region", _("Регион"), lambda a: str(a.region), ("region_id",),
           lambda v: Q(region__code__startswith=v.strip()) | Q(region__name__icontains=v.strip()),
           fields=("region__code", "region__name")),
    Column("submitted", _("Подана на РР"), lambda a: a.submitted_at, ("submitted_at",), _date_q,
           fields=("submitted_at",)),
    Column("category", _("Категория"), lambda a: a.category.name if a.category else "", ("category__name",),
           lambda v: Q(category__name__icontains=v.strip()), fields=("category__name",)),
    Column("phone", _("Телефон"), lambda a: a.citizen.phone, ("citizen__phone",), _phone_q, of_citizen=True,
           fields=("citizen__phone",)),
)}
DEFAULT_COLUMNS = ("number", "name", "active", "status", "snils", "email")
DEFAULT_SORT = "-submitted"


def column_keys(values) -> list[str]:
    """The known column keys among `values`, in the list's order, without repeats (default when none)."""
    chosen = [key for key in COLUMNS if key in set(values or ())]
    return chosen or list(DEFAULT_COLUMNS)


def column_sets_for(user) -> QuerySet:
    return ApplicationColumnSet.objects.filter(user=user).order_by("name")


def sort_fields(sort: str) -> tuple:
    key = (sort or DEFAULT_SORT).lstrip("-")
    column = COLUMNS.get(key) or COLUMNS["submitted"]
    descending = (sort or DEFAULT_SORT).startswith("-")
    fields = tuple(f"-{f}" if descending else f for f in column.sort)
    return (*fields, "-pk" if descending else "pk")


# The list -------------------------------------------------------------------------------------

def _global_citizen_q(search: str) -> Q | None:
    """The citizens a global search means: by e-mail, by SNILS or by name, from what was typed."""
    digits = DIGITS.sub("", search)
    if "@" in search:
        return _email_q(search)
    if digits and len(digits) >= 3 and not re.search(r"[^\d\s\-]", search):
        return _snils_q(search)
    if not digits:
        return _name_q(search, prefix="")
    return None


def _of_citizens(q: Q) -> Q:
    """Applications of the citizens matching `q`. Matched first (one small query), the ids go into
    the applications' query as a list, so that it reads them through the (citizen, submitted) index;
    a search matching more than CITIZEN_MATCH_LIMIT citizens is joined as a subquery instead."""
    ids = list(Citizen.objects.filter(q).values_list("pk", flat=True)[:CITIZEN_MATCH_LIMIT + 1])
    if len(ids) > CITIZEN_MATCH_LIMIT:
        return Q(citizen_id__in=Citizen.objects.filter(q).values("pk"))
    return Q(citizen_id__in=ids)


def visible_applications(user) -> QuerySet:
    return filter_for_user(Application.objects.all(), user)


def application_base(*, user, search: str = "", cohort=None, column_search: dict | None = None) -> QuerySet:
    """Applications `user` may see, narrowed by the global search, the cohort and the per-column
    searches (not by status: the counters are per status)."""
    qs = visible_applications(user)
    search = (search or "").strip()
    if search:
        match = _prefix_q("rr_number", search)
        citizens = _global_citizen_q(search)
        if citizens is not None:
            match |= _of_citizens(citizens)
        qs = qs.filter(match)
    if cohort is not None:
        qs = qs.filter(cohort=cohort)
    citizens = Q()
    for key, text in (column_search or {}).items():
        column = COLUMNS.get(key)
        if not (column and column.search and text and text.strip()):
            continue
        if column.of_citizen:
            citizens &= column.search(text)
        else:
            qs = qs.filter(column.search(text))
    if citizens:
        qs = qs.filter(_of_citizens(citizens))
    return qs


def application_rows(base: QuerySet, *, status: str = "", sort: str = DEFAULT_SORT,
                     columns: Iterable[Column] | None = None) -> QuerySet:
    """The list's rows: `base` filtered by status, sorted, carrying what every column shows — or,
    given `columns`, only what those columns show (the relations they read, and their fields)."""
    if status:
        base = base.filter(status=status)
    base = base.order_by(*sort_fields(sort))
    if columns is None:
        return base.select_related("citizen", "program", "cohort", "region", "category")
    fields = {"status", *(name for column in columns for name in column.fields)}
    relations = sorted({name.split("__")[0] for name in fields if "__" in name})
    return base.select_related(*relations).only(*fields)


def application_list_for(*, user, search: str = "", status: str = "", cohort=None, column_search: dict | None = None,
                         sort: str = DEFAULT_SORT) -> QuerySet:
    """Applications `user` may see, searched, filtered and sorted (the list and its export)."""
    base = application_base(user=user, search=search, cohort=cohort, column_search=column_search)
    return application_rows(base, status=status, sort=sort)


def application_status_totals(base: QuerySet) -> dict[str, int]:
    """{status: how many of `base`} (one query): the work queue's counters, and summed (or the
    chosen status's) the list's total, so that its paginator needs no COUNT of its own."""
    return dict(base.order_by().values_list("status").annotate(n=Count("pk")))


def application_status_counts(*, totals: dict[str, int]) -> list[dict]:
    """Every status with its label and count, from `application_status_totals`."""
    return [{"status": value, "label": label, "count": totals.get(value, 0)}
            for value, label in Application.Status.choices]


def cohort_filter_choices(user) -> QuerySet:
    """Cohorts offered by the list's cohort filter: those of the programs the user sees."""
    return (Cohort.objects.visible_to(user).filter(is_archived=False).select_related("program")
            .only("odin_id", "start_date", "program__short_title", "program__title").order_by("-start_date", "pk"))


# The application page -------------------------------------------------------------------------

def application_detail_queryset() -> QuerySet:
    return Application.objects.select_related(
        "citizen", "citizen__region", "program", "partner", "cohort", "category", "region", "contract")


DOCUMENT_GROUPS = (
    (_("Первичные документы"), (*ApplicationDocument.PRIMARY, *ApplicationDocument.PRIMARY_OPTIONAL)),
    (_("Документы на зачисление"), ApplicationDocument.ENROLMENT),
    (_("Документы организации"), (Kind.ALL_PARTY_CONTRACT,)),
    (_("Обучение и трудоустройство"), (Kind.EMPLOYMENT_PROOF, Kind.ADDITIONAL)),
)

EVENT_LABELS = {
    "document_approve": _("Документ подтверждён"),
    "document_reject": _("Документ отклонён"),
    "document_overdue": _("Документ не проверен в срок"),
    "document_replace": _("Документ заменён сотрудником"),
    "document_upload": _("Документ загружен"),
    "quota_reserve": _("Зарезервирована квота"),
    "blanks_regenerate": _("Бланки сформированы заново"),
    "data_correct": _("Исправлены данные гражданина"),
    "all_party_contract_upload": _("Загружен договор, подписанный всеми сторонами"),
    "withdrawal_approve": _("Заявление на отчисление одобрено"),
    "withdrawal_reject": _("Заявление на отчисление отклонено"),
    "qualification_update": _("Исправлены данные документа о квалификации"),
    "reminder_upload_enrolment_docs": _("Гражданину напомнили о сроке загрузки"),
}


def _event_label(transition: str) -> str:
    if transition in EVENT_LABELS:
        return str(EVENT_LABELS[transition])
    if transition.startswith("reminder_check_"):
        return str(_("Партнёру напомнили о сроке проверки"))
    method = getattr(Application, transition, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is not None:
        for t in meta.transitions.values():
            if (t.custom or {}).get("label"):
                return str(t.custom["label"])
    return transition


def history_rows(application: Application) -> list[dict]:
    labels = dict(Application.Status.choices)
    events = ApplicationEvent.objects.filter(subject=application).select_related("actor").order_by("-created_at", "-pk")
    return [{"event": e, "action": _event_label(e.transition), "source": labels.get(e.source, ""),
             "target": labels.get(e.target, "") if e.target != e.source else ""} for e in events]


def document_groups(application: Application, user) -> list[dict]:
    """[{"title", "kinds": [{"kind", "label", "current", "older": [...]}]}] of the kinds `user` sees."""
    kinds = visible_kinds(user, application)
    documents = (ApplicationDocument.objects.filter(application=application)
                 .select_related("uploaded_by", "checked_by").order_by("kind", "-version"))
    if kinds is not None:
        documents = documents.filter(kind__in=kinds)
    by_kind: dict[str, list] = {}
    for document in documents:
        by_kind.setdefault(document.kind, []).append(document)
    groups = []
    for title, group_kinds in DOCUMENT_GROUPS:
        rows = []
        for kind in group_kinds:
            if kinds is not None and kind not in kinds:
                continue
            versions = by_kind.get(kind, [])
            current = next((d for d in versions if d.is_current), None)
            if not versions and kind not in ALWAYS_LISTED:
                continue
            rows.append({"kind": kind, "label": Kind(kind).label, "current": current,
                         "older": [d for d in versions if d is not current]})
        if rows:
            groups.append({"title": title, "rows": rows})
    return groups

# Kinds listed on the page even before they are uploaded.
ALWAYS_LISTED = frozenset({*ApplicationDocument.PRIMARY, *ApplicationDocument.ENROLMENT})


@dataclass(frozen=True)
class ApplicationActions:
    """What `user` may do on the application page now (the buttons)."""

    check: bool = False
    edit_data: bool = False
    replace: bool = False
    file_withdrawal: bool = False
    upload_contract: bool = False
    qualification: bool = False
    regenerate_blanks: bool = False
    decide_withdrawals: bool = False

    @property
    def any(self) -> bool:
        return any((self.edit_data, self.replace, self.file_withdrawal, self.upload_contract, self.qualification,
                    self.regenerate_blanks))


def application_actions(application: Application, user) -> ApplicationActions:
    from enrollment.services.withdrawals import withdrawal_open

    partner = is_application_partner(user, application)
    replace = may_replace_documents(user, application)
    return ApplicationActions(
        check=partner,
        edit_data=partner and application.status in DATA_EDITABLE,
        replace=replace and not application.is_final,
        file_withdrawal=replace and withdrawal_open(application),
        upload_contract=partner and application.status in ALL_PARTY_CONTRACT_OPEN,
        qualification=partner and application.status in QUALIFICATION_OPEN,
        regenerate_blanks=partner and application.status in BLANKS_OPEN,
        decide_withdrawals=partner,
    )


def withdrawal_rows(application: Application, user) -> list[dict]:
    partner = is_application_partner(user, application)
    requests = application.withdrawal_requests.select_related("filed_by", "decided_by").order_by("-created_at", "-pk")
    return [{"request": r, "can_approve": partner and can_proceed(r.approve),
             "can_reject": partner and can_proceed(r.reject)} for r in requests]


def application_page_context(application: Application, user) -> dict:
    """Everything the application page shows, in blocks (reference §8)."""
    blanks = []
    if may_see_blanks(user, application):
        blanks = list(ApplicationBlank.objects.filter(application=application).select_related("document")
                      .order_by("kind"))
    qualification = getattr(application, "qualification_document", None) if application.status in (
        *QUALIFICATION_OPEN, Application.Status.EMPLOYED) else None
    return {
        "application": application, "citizen": application.citizen,
        "actions": application_actions(application, user),
        "document_groups": document_groups(application, user),
        "blanks": blanks, "show_blanks": may_see_blanks(user, application),
        "history": history_rows(application),
        "withdrawals": withdrawal_rows(application, user),
        "qualification": qualification,
        "show_personal_files": may_see_personal_files(user, application),
        "show_passport": may_see_passport(user, application),
    }


def document_queryset() -> QuerySet:
    return ApplicationDocument.objects.select_related("application", "uploaded_by", "checked_by")


def withdrawal_queryset() -> QuerySet:
    return WithdrawalRequest.objects.select_related("application")


# The staff desk -------------------------------------------------------------------------------

def overdue_for(user, limit: int = 20) -> dict:
    """What is late for `user`: visible applications with current documents marked overdue, the
    nearest cohort start first. {"applications": [...], "total": n}; each application carries
    `overdue_count`. For the partner's home page (templates/enrollment/partials/application_overdue.html)."""
    if not user.is_authenticated:
        return {"applications": [], "total": 0}
    qs = (visible_applications(user)
          .filter(documents__is_current=True, documents__status=ApplicationDocument.Status.OVERDUE)
          .annotate(overdue_count=Count("documents"))
          .select_related("citizen", "cohort", "partner"))
    applications = list(qs.order_by("cohort__start_date", "rr_number")[:limit])
    total = len(applications) if len(applications) < limit else qs.order_by().values("pk").distinct().count()
    return {"applications": applications, "total": total}

