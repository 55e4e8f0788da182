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
turnaround per partner (`uploaded_at` → `checked_at` of checked scans). The enrolment and document
check medians are read from hour histograms (analytics.medians: exact for whole-hour durations, else
off by under an hour); the act median is exact (`percentile_cont` on PostgreSQL).

**Summaries.** For the operator and auditors without a partner or program filter — the national
view, a million applications — the funnel, the enrolment median and (without region, category or
month filters) the document checks come from the summaries of analytics.models, rebuilt every few
minutes; `summary_run` tells whether they apply (and since when: the page's «данные на»). Every
other scope is small and computed live; money (a row per contract and act) is always live.

**Bounded tables.** With 2,000 partners the page shows the `TOP` partners (by quota for money, by
checked scans for document checks), one «Остальные (N)» row and the total (`bounded_money`,
`times(…, top=TOP)`); the CSV exports keep every partner.
"""
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from django.db.models import Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, Window
from django.utils.translation import gettext_lazy as _

from accounts.models import Campaign, Region
from analytics.medians import duration_medians, histogram, histogram_median, in_days
from analytics.models import DocumentCheckPartner, DocumentCheckSummary, EnrolmentTimeSummary, StatusSummary, SummaryRun
from cohorts.models import Act
from core.access import filter_for_user
from enrollment.models import Application, ApplicationDocument, ApplicationEvent
from programs.models import CitizenCategory, Program, TrainingContract

S = Application.Status
TOP = 20  # partners shown by name in the page's money and document check tables and charts
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

    def summary_q(self) -> Q:
        """These filters on the national summaries (which have no partner or program)."""
        wanted = {"campaign_id": self.campaign.pk if self.campaign else None, "region_id": self.region or None,
                  "category_id": self.category or None, "cohort_month": self.month}
        return Q(**{key: value for key, value in wanted.items() if value is not None})

    @property
    def narrows_applications(self) -> bool:
        """A region, category or month filter: the per-partner summary (document checks) does not apply."""
        return bool(self.region or self.category or self.month)


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


def filter_choices(user, campaign_param: str = "", partner_param: str = "") -> FilterChoices:
    """The filters' options (four or five queries): campaigns, the regions the user may filter by,
    the campaign's partners (the operator and auditors), the programs the user sees, categories.

    The operator and auditors choose a program only once a partner is chosen (`partner_param`): a
    national campaign has thousands of programs, too many for a list to read or to render."""
    campaigns = list(Campaign.objects.order_by("-starts_on", "-pk"))
    campaign = next((c for c in campaigns if str(c.pk) == campaign_param), None) or next(
        (c for c in campaigns if c.is_active), campaigns[0] if campaigns else None)
    regions = Region.objects.order_by("code")
    if not sees_all(user) and not user.access.is_partner_staff:
        regions = regions.filter(code__in=user.access.region_codes)
    programs = filter_for_user(Program.objects.all(), user).filter(campaign=campaign).order_by()
    partners = None
    if sees_all(user):
        partners = sorted(set(programs.values_list("partner_id", "partner__short_name")) if campaign else [],
                          key=lambda p: (p[1], p[0]))
        partner = next((pk for pk, _name in partners if str(pk) == partner_param), None)
        programs = programs.filter(partner_id=partner) if partner else programs.none()
    programs = list(programs.order_by("title", "pk").values_list("pk", "title")) if campaign else []
    return FilterChoices(
        campaigns=campaigns, campaign=campaign,
        regions=[(r.code, str(r)) for r in regions], programs=programs, partners=partners,
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


def summary_run(user, filters: Filters) -> SummaryRun | None:
    """The last rebuild of the summaries when they answer for this user and these filters (the
    operator and auditors, a campaign, no partner or program filter), else None (compute live).
    One query, only when they may apply."""
    if not sees_all(user) or filters.campaign is None or filters.partner or filters.program:
        return None
    return SummaryRun.objects.filter(built_at__isnull=False).first()


LIVE = None  # `run` of the selectors below: compute live
_LOOK_UP = object()  # `run` not given: look it up


def _run(user, filters: Filters, run) -> SummaryRun | None:
    return summary_run(user, filters) if run is _LOOK_UP else run


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


def funnel(user, filters: Filters, run=_LOOK_UP) -> Funnel:
    """`run`: the summaries' rebuild to read (see `summary_run`; looked up when not given), LIVE."""
    # One GROUP BY status (at most 19 rows), the steps summed here: on PostgreSQL a count per status
    # is an index-only scan of (program, status) for a campaign, where nine conditional counts cost
    # nine IN-list tests per application (at 1,000,000 applications: ~0.2 s; the summary: ~1 ms).
    if _run(user, filters, run):
        per_status = dict(StatusSummary.objects.filter(filters.summary_q()).order_by()
                          .values_list("status").annotate(n=Sum("applications")))
    else:
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
    others: int = 0  # a row adding up this many partners («Остальные»)
    total: bool = False  # the total row («Итого»)

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
MONEY_AMOUNTS = frozenset(name for name in MONEY_FIELDS if "money" in name)


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
    # Added up as plain lists, then one MoneyRow per partner: at 2,000 partners attribute access
    # per field and row was a third of the page's time.
    sums: dict[int, list] = {}
    names: dict[int, str] = {}
    for row in union:
        values = [row[name] or 0 for name in MONEY_FIELDS]
        partner_id = row["partner_id"]
        if partner_id in sums:
            sums[partner_id] = [a + b for a, b in zip(sums[partner_id], values, strict=True)]
        else:
            sums[partner_id], names[partner_id] = values, row["partner__short_name"]
    result = sorted((MoneyRow(partner_id, names[partner_id], **{
        # SQLite returns sums of a UNION unquantised
        name: Decimal(value).quantize(CENT) if name in MONEY_AMOUNTS else value
        for name, value in zip(MONEY_FIELDS, values, strict=True)}) for partner_id, values in sums.items()),
        key=lambda r: (r.partner, r.partner_id))
    if len(result) > 1:
        result.append(_money_total(result))
    return result


def _money_total(rows: list[MoneyRow], label=None, **kind) -> MoneyRow:
    total = MoneyRow(0, str(label or _("Итого")), **kind or {"total": True})
    for name in MONEY_FIELDS:
        setattr(total, name, sum(map(attrgetter(name), rows), getattr(total, name)))
    return total


def bounded_money(rows: list[MoneyRow], top: int = TOP) -> list[MoneyRow]:
    """`money`'s rows for the page: the `top` partners with the largest quotas (largest first), one
    «Остальные (N)» row adding up the others, and the total — all partners when they are few."""
    partners = [row for row in rows if not row.total]
    if len(partners) <= top + 1:
        return rows
    partners.sort(key=lambda r: (-r.quota_money, r.partner, r.partner_id))
    rest = partners[top:]
    others = _money_total(rest, _("Остальные (%(count)s)") % {"count": len(rest)}, others=len(rest))
    return [*partners[:top], others, _money_total(partners)]


# Time -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimeRow:
    key: str
    measure: str
    partner: str
    count: int
    median_days: float | None
    others: int = 0  # document checks: a row of this many partners together («Остальные»)
    total: bool = False  # document checks: all partners together


@dataclass(frozen=True)
class Times:
    rows: list[TimeRow] = field(default_factory=list)

    @property
    def overall(self) -> list[TimeRow]:
        return [row for row in self.rows if row.key != "document_check"]

    @property
    def document_checks(self) -> list[TimeRow]:
        return [row for row in self.rows if row.key == "document_check"]


def times(user, filters: Filters, run=_LOOK_UP, top: int | None = None) -> Times:
    """The medians. Document checks: a row per partner by name; with `top` (the page), only the
    `top` partners with the most checked scans, «Остальные (N)» and the total, when there are more.
    `run`: as for `funnel`."""
    run = _run(user, filters, run)
    rows = []
    if run:
        enrolments = (EnrolmentTimeSummary.objects.filter(filters.summary_q()).order_by().values("hours")
                      .annotate(n=Sum("cases"), total=Sum("seconds")).values_list("hours", "n", "total"))
    else:
        events = ApplicationEvent.objects.filter(_related_q(user, filters, "subject__"), transition="enrol")
        enrolments = histogram(events, "subject__submitted_at", "created_at").values_list("hours", "cases", "seconds")
    count, median = histogram_median(enrolments)
    rows.append(TimeRow("enrolment", str(_("Подача заявки → зачисление")), "", count, in_days(median)))
    if may_see_money(user) and filters.campaign is not None:
        count, median = duration_medians(_signed_acts(user, filters), F("act_date") - F("cohort__end_date"))[()]
        rows.append(TimeRow("act", str(_("Окончание потока → акт подписан сторонами")), "", count, in_days(median)))
    if run and not filters.narrows_applications:
        rows += _summary_checks(filters, top)
    else:
        rows += _live_checks(user, filters, top)
    return Times(rows)


def _check_row(partner: str, buckets, **kind) -> TimeRow:
    count, median = histogram_median(buckets)
    return TimeRow("document_check", str(_("Проверка документов")), partner, count, in_days(median), **kind)


def _check_rows(per_partner: dict[tuple[int, str], list], top: int | None) -> list[TimeRow]:
    """Rows from {(partner id, name): [(hours, cases, seconds)…]}: every partner by name, or
    (`top`) the `top` largest, «Остальные (N)» and the total."""
    if top is None or len(per_partner) <= top + 1:
        return [_check_row(name, buckets) for (_pk, name), buckets in sorted(per_partner.items(),
                                                                             key=lambda item: (item[0][1], item[0][0]))]
    volume = {key: sum(cases for _hours, cases, _seconds in buckets) for key, buckets in per_partner.items()}
    ranked = sorted(per_partner, key=lambda key: (-volume[key], key[1], key[0]))
    rest = [bucket for key in ranked[top:] for bucket in per_partner[key]]
    return [*(_check_row(key[1], per_partner[key]) for key in ranked[:top]),
            _check_row(str(_("Остальные (%(count)s)") % {"count": len(ranked) - top}), rest, others=len(ranked) - top),
            _check_row(str(_("Все партнёры")), [b for buckets in per_partner.values() for b in buckets], total=True)]


def _live_checks(user, filters: Filters, top: int | None) -> list[TimeRow]:
    documents = ApplicationDocument.objects.filter(_related_q(user, filters, "application__"),
                                                   checked_at__isnull=False)
    per_partner: dict[tuple[int, str], list] = {}
    for row in histogram(documents, "uploaded_at", "checked_at",
                         group_by=("application__partner_id", "application__partner__short_name")):
        key = (row["application__partner_id"], row["application__partner__short_name"])
        per_partner.setdefault(key, []).append((row["hours"], row["cases"], row["seconds"]))
    return _check_rows(per_partner, top)


def _summary_checks(filters: Filters, top: int | None) -> list[TimeRow]:
    """From the summaries: every partner's histogram (exports), or for the page two small queries —
    the partners by checked scans, then by index the histograms of the `top` ones and of all
    partners together (the others' is the difference)."""
    campaign = filters.summary_q()
    ranked = (DocumentCheckPartner.objects.filter(campaign).order_by("-cases", "partner_name", "partner_id")
              .annotate(partners=Window(Count("*"))).values_list("partner_id", "partner_name", "partners"))
    if top is not None:
        ranked = ranked[:top + 2]  # enough to tell whether there are «Остальные»
    ranked = list(ranked)
    partners, partner_count = [(pk, name) for pk, name, _n in ranked], ranked[0][2] if ranked else 0
    if top is None or partner_count <= top + 1:
        names = dict(partners)
        per_partner: dict[tuple[int, str], list] = {}
        for pk, hours, cases, seconds in (DocumentCheckSummary.objects.filter(campaign, partner_id__isnull=False)
                                          .values_list("partner_id", "hours", "cases", "seconds")):
            per_partner.setdefault((pk, names.get(pk, "")), []).append((hours, cases, seconds))
        return _check_rows(per_partner, None)
    shown = dict(partners[:top])
    buckets: dict[int | None, dict[int, tuple[int, int]]] = {}
    for pk, hours, cases, seconds in (DocumentCheckSummary.objects.filter(campaign).filter(
            Q(partner_id__in=list(shown)) | Q(partner_id__isnull=True)).values_list("partner_id", "hours", "cases",
                                                                                    "seconds")):
        buckets.setdefault(pk, {})[hours] = (cases, seconds)
    national = buckets.get(None, {})
    rest = {hours: [cases, seconds] for hours, (cases, seconds) in national.items()}
    for pk in shown:
        for hours, (cases, seconds) in buckets.get(pk, {}).items():
            rest[hours][0] -= cases
            rest[hours][1] -= seconds
    others = partner_count - top
    return [*(_check_row(name, [(h, c, sec) for h, (c, sec) in buckets.get(pk, {}).items()])
              for pk, name in shown.items()),
            _check_row(str(_("Остальные (%(count)s)") % {"count": others}),
                       [(h, c, sec) for h, (c, sec) in rest.items() if c], others=others),
            _check_row(str(_("Все партнёры")), [(h, c, sec) for h, (c, sec) in national.items()], total=True)]


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
