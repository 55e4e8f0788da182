"""The figures of the analytics page (reference §7.3), each section one to three aggregate queries
whatever the number of applications, scoped through core.access like every list: the operator and
auditors see all partners, partner staff their organisations', employment-service reviewers their
regions' applications (`Application.objects.visible_to`).

**Funnel.** An application counts in a step when its *current* status is at or beyond that step on
the main path (DESIGN §4, reference §2.1.1), so the steps only shrink:

1. «Заявки» — every application;
2. «Первичные документы одобрены» — `enrolment_docs_required` and every later step;
3. «Документы на зачисление одобрены» — `awaiting_agreement`, `enrolment_order_required` and later;
4. «Зачислены» (an enrolment order exists) — `studying`, `withdrawal_review`,
   `own_request_order_required`, `failure_order_required`, `expelled` (an expulsion order needs an
   enrolment order first) and every status of the successful path;
5. «Успешно завершили обучение» — `completion_order_required`, `qualification_doc_required` and later;
6. «Выдан документ о квалификации» (its data are entered) — `qualification_scan_required`,
   `awaiting_employment`, `employed`;
7. «Трудоустроены» — `employed`.

`service_terminated` («Услуга прекращена», from РР) counts only as an application: the status no
longer tells how far it had got. It is shown beside the funnel, with `expelled`. The conversion of
a step is its count divided by the previous step's; all seven counts and the two side counts come
from ONE aggregate query (a count per status, summed into the steps).

**Money**, per partner, for the chosen campaign (and partner filter; region, program, category and
cohort month do not apply: a contract's quota is the partner's whole): the quotas (money, seats) and
reservations of its training contracts signed at least by the operator (drafts are not counted, and
the partner does not see them); the sum of its acts — all generated acts, and those signed by both
sides (the basis of payment, reference §6.4); the remainder = quota − reserved (a citizen in an act
is among the reserved). One query. Employment-service reviewers do not see money.

**Time**, medians in days: application filed (`submitted_at`) → enrolment (the «enrol» history row);
cohort end → act signed by both sides (`Act.act_date`; operator and partners only; the region and
category filters do not apply to an act, which covers a whole cohort); document check
turnaround per partner (`uploaded_at` → `checked_at` of checked scans). Three queries
(analytics.medians: `percentile_cont` on PostgreSQL).
"""
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value
from django.utils.translation import gettext_lazy as _

from accounts.models import Campaign, Region
from analytics.medians import duration_medians, in_days
from cohorts.models import Act
from core.access import filter_for_user
from enrollment.models import Application, ApplicationDocument, ApplicationEvent
from programs.models import CitizenCategory, Program, TrainingContract

S = Application.Status
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def may_view_analytics(user) -> bool:
    """The operator, auditors, partner staff and employment-service reviewers (and ops)."""
    return user.is_authenticated and (user.is_superuser or user.access.is_staff_member)


def may_see_money(user) -> bool:
    """Contracts and acts: the operator, auditors and partner staff; not employment services."""
    access = user.access
    return user.is_superuser or access.sees_all_partners or access.is_partner_staff


def sees_all(user) -> bool:
    return user.is_superuser or user.access.sees_all_partners


# Filters --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    campaign: Campaign | None
    region: str = ""
    partner: int | None = None
    program: int | None = None
    category: str = ""
    month: dt.date | None = None  # the first day of the cohort start month

    def application_q(self, prefix: str = "") -> Q:
        """These filters as a Q on applications, or on a model reaching them through `prefix`."""
        wanted = {
            "program__campaign_id": self.campaign.pk if self.campaign else None,
            "region_id": self.region or None, "partner_id": self.partner, "program_id": self.program,
            "category_id": self.category or None,
        }
        q = Q(**{f"{prefix}{key}": value for key, value in wanted.items() if value is not None})
        if self.month:
            q &= Q(**{f"{prefix}cohort__start_date__gte": self.month,
                      f"{prefix}cohort__start_date__lt": _next_month(self.month)})
        return q


@dataclass(frozen=True)
class FilterChoices:
    campaigns: list[Campaign]
    campaign: Campaign | None
    regions: list[tuple[str, str]]
    programs: list[tuple[int, str]]
    partners: list[tuple[int, str]] | None  # None: the user has no partner filter
    categories: list[tuple[str, str]]
    months: list[dt.date]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def filter_choices(user, campaign_param: str = "") -> FilterChoices:
    """The filters' options (four queries): campaigns, the regions the user may filter by, the
    campaign's programs the user sees (and from them the partners, for the operator), categories."""
    campaigns = list(Campaign.objects.order_by("-starts_on", "-pk"))
    campaign = next((c for c in campaigns if str(c.pk) == campaign_param), None) or next(
        (c for c in campaigns if c.is_active), campaigns[0] if campaigns else None)
    regions = Region.objects.order_by("code")
    if not sees_all(user) and not user.access.is_partner_staff:
        regions = regions.filter(code__in=user.access.region_codes)
    programs = (filter_for_user(Program.objects.all(), user).filter(campaign=campaign)
                .order_by("title", "pk").values_list("pk", "title", "partner_id", "partner__short_name"))
    programs = list(programs) if campaign else []
    partners = None
    if sees_all(user):
        partners = sorted({(row[2], row[3]) for row in programs}, key=lambda p: (p[1], p[0]))
    return FilterChoices(
        campaigns=campaigns, campaign=campaign,
        regions=[(r.code, str(r)) for r in regions],
        programs=[(pk, title) for pk, title, _partner, _name in programs], partners=partners,
        categories=list(CitizenCategory.objects.values_list("code", "name")), months=_months(campaign),
    )


def _months(campaign: Campaign | None) -> list[dt.date]:
    """The first days of the campaign's months (cohort start month filter)."""
    months, day = [], campaign.starts_on.replace(day=1) if campaign else None
    while day is not None and day <= campaign.ends_on:
        months.append(day)
        day = _next_month(day)
    return months


def applications_for(user, filters: Filters) -> QuerySet:
    """The applications the user may see, narrowed by the filters (no ordering: for aggregates)."""
    return filter_for_user(Application.objects.all(), user).filter(filters.application_q()).order_by()


def _related_q(user, filters: Filters, prefix: str) -> Q:
    """Scope and filters on a model reaching applications through `prefix` (events, documents)."""
    q = filters.application_q(prefix)
    if not sees_all(user):
        q &= Q(**{f"{prefix}pk__in": filter_for_user(Application.objects.all(), user).values("pk")})
    return q


# Funnel ---------------------------------------------------------------------------------------

ISSUED = (S.QUALIFICATION_SCAN_REQUIRED, S.AWAITING_EMPLOYMENT, S.EMPLOYED)
COMPLETED = (S.COMPLETION_ORDER_REQUIRED, S.QUALIFICATION_DOC_REQUIRED, *ISSUED)
ENROLLED = (S.STUDYING, S.WITHDRAWAL_REVIEW, S.OWN_REQUEST_ORDER_REQUIRED, S.FAILURE_ORDER_REQUIRED, S.EXPELLED,
            *COMPLETED)
ENROLMENT_APPROVED = (S.AWAITING_AGREEMENT, S.ENROLMENT_ORDER_REQUIRED, *ENROLLED)
PRIMARY_APPROVED = (S.ENROLMENT_DOCS_REQUIRED, S.ENROLMENT_DOCS_REVIEW, S.ENROLMENT_DOCS_REJECTED,
                    *ENROLMENT_APPROVED)

# (key, label, statuses counted; None: every application)
FUNNEL_STEPS = (
    ("applications", _("Заявки"), None),
    ("primary_approved", _("Первичные документы одобрены"), PRIMARY_APPROVED),
    ("enrolment_approved", _("Документы на зачисление одобрены"), ENROLMENT_APPROVED),
    ("enrolled", _("Зачислены"), ENROLLED),
    ("completed", _("Успешно завершили обучение"), COMPLETED),
    ("issued", _("Выдан документ о квалификации"), ISSUED),
    ("employed", _("Трудоустроены"), (S.EMPLOYED,)),
)


@dataclass(frozen=True)
class FunnelStep:
    position: int
    key: str
    label: str
    count: int
    of_previous: float | None  # conversion from the previous step, %
    of_first: float | None  # share of all applications, %


@dataclass(frozen=True)
class Funnel:
    steps: list[FunnelStep]
    terminated: int
    expelled: int


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def funnel(user, filters: Filters) -> Funnel:
    # One GROUP BY status (at most 19 rows), the steps summed here: on PostgreSQL a count per status
    # is an index-only scan of (program, status) for a campaign, where nine conditional counts cost
    # nine IN-list tests per application (at 1,000,000 applications: ~0.5 s of the page).
    per_status = dict(applications_for(user, filters).values_list("status").annotate(n=Count("*")))
    counts = {key: sum(n for status, n in per_status.items() if statuses is None or status in statuses)
              for key, _label, statuses in FUNNEL_STEPS}
    counts.update(terminated=per_status.get(S.SERVICE_TERMINATED, 0), expelled=per_status.get(S.EXPELLED, 0))
    first = counts["applications"]
    steps, previous = [], None
    for position, (key, label, _statuses) in enumerate(FUNNEL_STEPS, start=1):
        count = counts[key]
        steps.append(FunnelStep(position, key, str(label), count,
                                None if previous is None else _percent(count, previous), _percent(count, first)))
        previous = count
    return Funnel(steps=steps, terminated=counts["terminated"], expelled=counts["expelled"])


# Money ----------------------------------------------------------------------------------------

@dataclass
class MoneyRow:
    partner_id: int
    partner: str
    contracts: int = 0
    quota_money: Decimal = ZERO
    quota_seats: int = 0
    reserved_money: Decimal = ZERO
    reserved_seats: int = 0
    acts_count: int = 0
    acts_money: Decimal = ZERO  # every generated act
    signed_acts_count: int = 0
    signed_acts_money: Decimal = ZERO  # acts signed by both sides

    @property
    def remaining_money(self) -> Decimal:
        return self.quota_money - self.reserved_money

    @property
    def remaining_seats(self) -> int:
        return self.quota_seats - self.reserved_seats

    @property
    def reserved_share(self) -> float | None:
        return round(float(100 * self.reserved_money / self.quota_money), 1) if self.quota_money else None


MONEY_FIELDS = ("contracts", "quota_money", "quota_seats", "reserved_money", "reserved_seats", "acts_count",
                "acts_money", "signed_acts_count", "signed_acts_money")


def money(user, filters: Filters) -> list[MoneyRow]:
    """One row per partner (by name), then a total row when there is more than one partner. One
    query: the contracts' sums per partner UNION ALL the acts' sums per partner, added up here."""
    if not may_see_money(user) or filters.campaign is None:
        return []
    contracts = (filter_for_user(TrainingContract.objects.all(), user)
                 .filter(campaign=filters.campaign).exclude(status=TrainingContract.Status.GENERATED))
    acts = filter_for_user(Act.objects.all(), user).filter(cohort__program__campaign=filters.campaign)
    if filters.partner:
        contracts, acts = contracts.filter(partner_id=filters.partner), acts.filter(partner_id=filters.partner)
    count, amount = Value(0, IntegerField()), Value(ZERO, DecimalField(max_digits=14, decimal_places=2))
    signed = Q(status=Act.Status.SIGNED_BY_BOTH)
    contract_sums = {"contracts": Count("pk"), "quota_money": Sum("quota_money"), "quota_seats": Sum("quota_seats"),
                     "reserved_money": Sum("reserved_money"), "reserved_seats": Sum("reserved_seats")}
    act_sums = {"acts_count": Count("pk"), "acts_money": Sum("amount"), "signed_acts_count": Count("pk", filter=signed),
                "signed_acts_money": Sum("amount", filter=signed)}
    zeros = {name: amount if "money" in name else count for name in MONEY_FIELDS}
    by_partner = ("partner_id", "partner__short_name")
    union = (contracts.order_by().values(*by_partner).annotate(**{**zeros, **contract_sums})
             .union(acts.order_by().values(*by_partner).annotate(**{**zeros, **act_sums}), all=True))
    rows: dict[int, MoneyRow] = {}
    for row in union:
        item = rows.setdefault(row["partner_id"], MoneyRow(row["partner_id"], row["partner__short_name"]))
        for name in MONEY_FIELDS:  # SQLite returns sums of a UNION unquantised
            value = Decimal(row[name] or 0).quantize(CENT) if "money" in name else row[name] or 0
            setattr(item, name, getattr(item, name) + value)
    result = sorted(rows.values(), key=lambda r: (r.partner, r.partner_id))
    if len(result) > 1:
        result.append(_money_total(result))
    return result


def _money_total(rows: list[MoneyRow]) -> MoneyRow:
    total = MoneyRow(0, str(_("Итого")))
    for name in MONEY_FIELDS:
        setattr(total, name, sum((getattr(r, name) for r in rows), getattr(total, name)))
    return total


# Time -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimeRow:
    key: str
    measure: str
    partner: str
    count: int
    median_days: float | None


@dataclass(frozen=True)
class Times:
    rows: list[TimeRow] = field(default_factory=list)

    @property
    def overall(self) -> list[TimeRow]:
        return [row for row in self.rows if row.key != "document_check"]

    @property
    def document_checks(self) -> list[TimeRow]:
        return [row for row in self.rows if row.key == "document_check"]


def times(user, filters: Filters) -> Times:
    rows = []
    enrolments = ApplicationEvent.objects.filter(_related_q(user, filters, "subject__"), transition="enrol")
    count, median = duration_medians(enrolments, F("created_at") - F("subject__submitted_at"))[()]
    rows.append(TimeRow("enrolment", str(_("Подача заявки → зачисление")), "", count, in_days(median)))
    if may_see_money(user) and filters.campaign is not None:
        count, median = duration_medians(_signed_acts(user, filters), F("act_date") - F("cohort__end_date"))[()]
        rows.append(TimeRow("act", str(_("Окончание потока → акт подписан сторонами")), "", count, in_days(median)))
    documents = ApplicationDocument.objects.filter(_related_q(user, filters, "application__"),
                                                   checked_at__isnull=False)
    checks = duration_medians(documents, F("checked_at") - F("uploaded_at"),
                              group_by=("application__partner_id", "application__partner__short_name"))
    for (_partner_id, name), (count, median) in sorted(checks.items(), key=lambda item: (item[0][1], item[0][0])):
        rows.append(TimeRow("document_check", str(_("Проверка документов")), name, count, in_days(median)))
    return Times(rows)


def _signed_acts(user, filters: Filters) -> QuerySet:
    acts = filter_for_user(Act.objects.all(), user).filter(
        cohort__program__campaign=filters.campaign, status=Act.Status.SIGNED_BY_BOTH, act_date__isnull=False)
    wanted = {"partner_id": filters.partner, "cohort__program_id": filters.program}
    acts = acts.filter(**{key: value for key, value in wanted.items() if value})
    if filters.month:
        acts = acts.filter(cohort__start_date__gte=filters.month, cohort__start_date__lt=_next_month(filters.month))
    return acts


# Exports --------------------------------------------------------------------------------------

class Rows:
    """A computed table that core.exports writes like a queryset (`count()`, `iterator()`); built
    on first use, so starting an export checks access and filters without computing anything."""

    def __init__(self, build: Callable[[], Iterable]):
        self._build = build
        self._rows = None

    def _all(self) -> list:
        if self._rows is None:
            self._rows = list(self._build())
        return self._rows

    def count(self) -> int:
        return len(self._all())

    def iterator(self, chunk_size: int | None = None):
        return iter(self._all())
