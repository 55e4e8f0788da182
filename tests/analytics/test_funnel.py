"""The analytics page's figures: the funnel matches direct counts on applications in every status;
each role sees only its own scope (partner A never counts partner B's applications; the employment
reviewer only region 70's); the filters narrow it; money and time are right on a hand-made case;
the three tables export as CSV through core.exports."""
import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region
from analytics import selectors
from analytics.forms import AnalyticsFilterForm
from core import exports
from core.models import ExportJob
from enrollment.models import Application, ApplicationEvent
from programs.models import TrainingContract
from tests.analytics.support import REACHED, expected_funnel, make_act
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory
from tests.enrollment.test_application_support import in_status
from tests.factories import CampaignFactory
from tests.programs.factories import CohortFactory, ProgramFactory, TrainingContractFactory

pytestmark = pytest.mark.django_db

S = Application.Status
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def _filters(user, **params) -> selectors.Filters:
    query = QueryDict(mutable=True)
    query.update({key: str(value) for key, value in params.items()})
    return AnalyticsFilterForm.for_user(user, query).filters()


def _counts(user, **params) -> list[int]:
    return [step.count for step in selectors.funnel(user, _filters(user, **params)).steps]


def _spread(partner, campaign, *, region="70", copies=lambda i: 1 + i % 3):
    """Applications of `partner` in every status (1–3 of each), in `region`; returns their statuses."""
    program = ProgramFactory(partner=partner, campaign=campaign)
    cohort = CohortFactory(program=program)
    statuses = []
    for i, status in enumerate(S.values):
        for _ in range(copies(i)):
            in_status(ApplicationFactory(program=program, cohort=cohort, region=Region.objects.get(code=region)),
                      status)
            statuses.append(status)
    return statuses


@pytest.fixture
def world(campaign, partner_a, partner_b):
    """Partner A's applications in region 70, partner B's in region 70 and 54, every status each."""
    return {
        "a": _spread(partner_a, campaign),
        "b70": _spread(partner_b, campaign, copies=lambda i: 1),
        "b54": _spread(partner_b, campaign, region="54", copies=lambda i: 2),
    }


def test_the_definition_covers_every_status():
    assert set(REACHED) == set(S.values)
    steps = dict((key, set(statuses or S.values)) for key, _label, statuses in selectors.FUNNEL_STEPS)
    for position, (key, _label, _statuses) in enumerate(selectors.FUNNEL_STEPS, start=1):
        assert steps[key] == {status for status, reached in REACHED.items() if reached >= position}, key


def test_the_operator_funnel_matches_direct_counts(world, operator_reviewer):
    everything = world["a"] + world["b70"] + world["b54"]
    assert _counts(operator_reviewer) == expected_funnel(everything)
    assert _counts(operator_reviewer)[0] == Application.objects.count()
    funnel = selectors.funnel(operator_reviewer, _filters(operator_reviewer))
    assert funnel.terminated == everything.count(S.SERVICE_TERMINATED)
    assert funnel.expelled == everything.count(S.EXPELLED)
    second = funnel.steps[1]
    assert second.of_previous == round(100 * second.count / funnel.steps[0].count, 1)
    assert funnel.steps[0].of_previous is None
    assert funnel.steps[0].of_first == 100.0


def test_a_partner_sees_only_its_own_funnel(world, staff_a, staff_b):
    assert _counts(staff_a) == expected_funnel(world["a"])
    assert _counts(staff_b) == expected_funnel(world["b70"] + world["b54"])
    # A partner has no partner filter: a forged one changes nothing.
    assert "partner" not in AnalyticsFilterForm.for_user(staff_a, QueryDict()).fields
    b = Application.objects.filter(partner__short_name="Партнёр Б").values_list("partner_id", flat=True).first()
    assert _counts(staff_a, partner=b) == expected_funnel(world["a"])


def test_an_employment_reviewer_sees_only_its_regions(world, employment_reviewer):
    assert _counts(employment_reviewer) == expected_funnel(world["a"] + world["b70"])
    # Region 54 is not among the reviewer's choices: the filter is ignored.
    assert _counts(employment_reviewer, region="54") == expected_funnel(world["a"] + world["b70"])
    assert selectors.money(employment_reviewer, _filters(employment_reviewer)) == []


def test_the_filters_narrow_the_funnel(world, operator_reviewer, partner_b, campaign):
    assert _counts(operator_reviewer, region="54") == expected_funnel(world["b54"])
    assert _counts(operator_reviewer, partner=partner_b.pk) == expected_funnel(world["b70"] + world["b54"])
    program = Application.objects.filter(partner=partner_b, region_id="54").first().program
    assert _counts(operator_reviewer, partner=partner_b.pk, program=program.pk) == expected_funnel(world["b54"])
    # The operator chooses a program within a partner: a program alone is ignored.
    assert _counts(operator_reviewer, program=program.pk) == _counts(operator_reviewer)
    assert _counts(operator_reviewer, month="2026-03") == expected_funnel(world["a"] + world["b70"] + world["b54"])
    assert _counts(operator_reviewer, month="2026-05")[0] == 0
    first = Application.objects.filter(partner=partner_b).order_by("pk").first()
    Application.objects.filter(pk=first.pk).update(category_id="youth")
    assert _counts(operator_reviewer, category="youth") == expected_funnel([first.status])
    other = CampaignFactory(code="amsz-2025", year=2025, title="АМСЗ 2025", starts_on=dt.date(2025, 1, 1),
                            ends_on=dt.date(2025, 12, 31), is_active=False)
    assert _counts(operator_reviewer, campaign=other.pk)[0] == 0


def test_the_default_campaign_is_the_newest_active_one(campaign, operator_reviewer):
    CampaignFactory(code="amsz-2027", year=2027, title="АМСЗ 2027", starts_on=dt.date(2027, 1, 1),
                    ends_on=dt.date(2027, 12, 31), is_active=False)
    CampaignFactory(code="amsz-2025", year=2025, title="АМСЗ 2025", starts_on=dt.date(2025, 1, 1),
                    ends_on=dt.date(2025, 12, 31))
    assert _filters(operator_reviewer).campaign == campaign


def test_the_page_shows_the_figures_and_charts_without_inline_styles(client, world, operator_reviewer):
    client.force_login(operator_reviewer)
    response = client.get(reverse("analytics:overview"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Данные на" in html
    assert "Воронка заявок" in html
    assert html.count('<svg class="chart"') == 1  # no contracts, no checked scans: the funnel's chart only
    assert "<title>Зачислены:" in html
    assert not STYLE_ATTRIBUTE.findall(html)
    for kind in ("analytics.funnel", "analytics.money", "analytics.time"):
        assert reverse("core:export_start", args=[kind]) in html


# Money and time on a hand-made case ------------------------------------------------------------

@pytest.fixture
def hand_made(campaign, partner_a, partner_b):
    """Partner A: a contract (1,000,000 ₽ / 20 seats, 90,000 ₽ / 2 seats reserved) and a draft one
    (not counted); two acts of 45,000 ₽, one signed 10 days after its cohort ended. Partner B: a
    contract (500,000 ₽ / 10 seats, 45,000 ₽ / 1 seat reserved), an act signed 20 days after.
    Enrolments after 2, 4 and 9 days (A) and 30 days (B); checks after 1 and 3 days (A), 12 h (B)."""
    cohorts = {}
    for partner, quota, seats, reserved, taken in ((partner_a, "1000000", 20, "90000", 2),
                                                   (partner_b, "500000", 10, "45000", 1)):
        contract = TrainingContractFactory(partner=partner, campaign=campaign, quota_money=Decimal(quota),
                                           quota_seats=seats, status=TrainingContract.Status.SIGNED_BY_BOTH)
        TrainingContract.objects.filter(pk=contract.pk).update(reserved_money=Decimal(reserved), reserved_seats=taken)
        program = ProgramFactory(partner=partner, campaign=campaign)
        cohorts[partner] = (contract, CohortFactory(program=program, start_date=dt.date(2026, 3, 2),
                                                    end_date=dt.date(2026, 4, 30)))
    TrainingContractFactory(partner=partner_a, campaign=campaign, quota_money=Decimal("7000000"))  # a draft
    contract, cohort = cohorts[partner_a]
    make_act(partner_a, contract, cohort, signed=True, act_date=dt.date(2026, 5, 10))
    make_act(partner_a, contract, cohort, signed=False, sequence=2)
    contract, cohort = cohorts[partner_b]
    make_act(partner_b, contract, cohort, signed=True, act_date=dt.date(2026, 5, 20))
    filed = timezone.now() - dt.timedelta(days=60)
    for partner, days in ((partner_a, 2), (partner_a, 4), (partner_a, 9), (partner_b, 30)):
        application = in_status(ApplicationFactory(program=cohorts[partner][1].program, cohort=cohorts[partner][1],
                                                   submitted_at=filed), S.STUDYING)
        ApplicationEvent.objects.create(subject=application, transition="enrol", source=S.ENROLMENT_ORDER_REQUIRED,
                                        target=S.STUDYING, created_at=filed + dt.timedelta(days=days))
    for partner, hours in ((partner_a, 24), (partner_a, 72), (partner_b, 12)):
        application = ApplicationFactory(program=cohorts[partner][1].program, cohort=cohorts[partner][1])
        ApplicationDocumentFactory(application=application, uploaded_at=filed,
                                   checked_at=filed + dt.timedelta(hours=hours))
    ApplicationDocumentFactory(application=application, kind="education", uploaded_at=filed)  # not checked yet
    return cohorts


def _money(user, **params) -> dict:
    return {row.partner: row for row in selectors.money(user, _filters(user, **params))}


def test_money_per_partner_on_a_hand_made_case(hand_made, operator_reviewer, staff_a, partner_a):
    rows = _money(operator_reviewer)
    a, b, total = rows["Партнёр А"], rows["Партнёр Б"], rows["Итого"]
    assert (a.contracts, a.quota_money, a.quota_seats, a.reserved_money, a.reserved_seats) == (
        1, Decimal("1000000"), 20, Decimal("90000"), 2)
    assert (a.acts_count, a.acts_money, a.signed_acts_count, a.signed_acts_money) == (
        2, Decimal("90000"), 1, Decimal("45000"))
    assert (a.remaining_money, a.remaining_seats, a.reserved_share) == (Decimal("910000"), 18, 9.0)
    assert (b.quota_money, b.signed_acts_money, b.remaining_money) == (Decimal("500000"), Decimal("45000"),
                                                                       Decimal("455000"))
    assert (total.quota_money, total.reserved_money, total.acts_money, total.signed_acts_money,
            total.remaining_seats) == (Decimal("1500000"), Decimal("135000"), Decimal("135000"), Decimal("90000"), 27)
    assert list(_money(staff_a)) == ["Партнёр А"]
    assert list(_money(operator_reviewer, partner=partner_a.pk)) == ["Партнёр А"]


def _times(user, **params) -> dict:
    return {(row.key, row.partner): (row.count, row.median_days)
            for row in selectors.times(user, _filters(user, **params)).rows}


def test_time_medians_on_a_hand_made_case(hand_made, operator_reviewer, staff_a, employment_reviewer):
    assert _times(operator_reviewer) == {
        ("enrolment", ""): (4, 6.5),  # 2, 4, 9, 30 days
        ("act", ""): (2, 15.0),  # 10 and 20 days after the cohort ended
        ("document_check", "Партнёр А"): (2, 2.0),  # 1 and 3 days
        ("document_check", "Партнёр Б"): (1, 0.5),
    }
    assert _times(staff_a) == {("enrolment", ""): (3, 4.0), ("act", ""): (1, 10.0),
                               ("document_check", "Партнёр А"): (2, 2.0)}
    # The employment reviewer (region 70: all these applications) sees no acts.
    assert ("act", "") not in _times(employment_reviewer)
    assert _times(employment_reviewer)[("enrolment", "")] == (4, 6.5)


def test_the_page_shows_money_to_partners_but_not_to_employment_services(client, hand_made, staff_a,
                                                                        employment_reviewer):
    client.force_login(staff_a)
    html = client.get(reverse("analytics:overview")).content.decode()
    assert "Деньги: квоты, резерв и акты" in html
    assert "910\xa0000,00" in html
    assert html.count('<svg class="chart"') == 3  # funnel, quota use, document checks
    assert not STYLE_ATTRIBUTE.findall(html)
    assert "Партнёр Б" not in html
    client.force_login(employment_reviewer)
    html = client.get(reverse("analytics:overview")).content.decode()
    assert "Деньги: квоты, резерв и акты" not in html
    assert reverse("core:export_start", args=["analytics.money"]) not in html


# Exports --------------------------------------------------------------------------------------

def _export(user, kind, params) -> list[list[str]]:
    job = exports.export_start(user=user, kind=kind, params=params)
    exports.export_build(job_id=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.READY, job.error
    with default_storage.open(job.file.name, "rb") as fh:
        return list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig")), delimiter=";"))


def test_the_funnel_exports_as_csv_with_the_filters(world, operator_reviewer, campaign):
    rows = _export(operator_reviewer, "analytics.funnel", {"campaign": campaign.pk, "region": "54"})
    assert rows[0] == ["Шаг", "Этап", "Заявок", "Конверсия из предыдущего шага, %", "Доля от всех заявок, %"]
    assert [int(row[2]) for row in rows[1:]] == expected_funnel(world["b54"])
    assert rows[1][:3] == ["1", "Заявки", str(len(world["b54"]))]
    assert rows[1][3] == ""
    assert rows[1][4] == "100,0"


def test_a_partners_funnel_export_holds_only_its_own(world, staff_a, campaign):
    rows = _export(staff_a, "analytics.funnel", {"campaign": campaign.pk})
    assert [int(row[2]) for row in rows[1:]] == expected_funnel(world["a"])


def test_money_and_time_export(hand_made, operator_reviewer):
    money = _export(operator_reviewer, "analytics.money", {})
    assert [row[0] for row in money[1:]] == ["Партнёр А", "Партнёр Б", "Итого"]
    assert money[1][2] == "1000000,00"
    assert money[1][-2] == "910000,00"
    time = _export(operator_reviewer, "analytics.time", {})
    assert time[1] == ["Подача заявки → зачисление", "", "4", "6,5"]
    assert ["Проверка документов", "Партнёр Б", "1", "0,5"] in time


def test_exports_refuse_who_may_not_see_them(citizen, employment_reviewer):
    with pytest.raises(PermissionDenied):
        exports.export_start(user=citizen, kind="analytics.funnel", params={})
    with pytest.raises(PermissionDenied):
        exports.export_start(user=employment_reviewer, kind="analytics.money", params={})
    assert exports.export_start(user=employment_reviewer, kind="analytics.funnel", params={}).pk
