"""The pre-aggregated summaries of the analytics page (analytics.models, analytics.services): after
a rebuild they give exactly the live figures for every filter they answer (funnel, enrolment and
document check medians); they answer only the operator's and auditors' national view; they are a
snapshot until the next rebuild, and the page says so. The medians read from hour histograms equal
the exact medians on whole-hour durations and are off by under an hour otherwise. The page shows
the largest partners, «Остальные (N)» and the total; the exports keep every partner."""
import datetime as dt
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse

from analytics import selectors
from analytics.forms import AnalyticsFilterForm
from analytics.medians import duration_medians, histogram_median, in_days
from analytics.models import DocumentCheckPartner, DocumentCheckSummary, StatusSummary, SummaryRun
from analytics.services import summaries_refresh
from analytics.tasks import summaries_refresh_task
from core.widgets import PlainSelect
from enrollment.models import ApplicationDocument, ApplicationEvent
from tests.analytics.support import generate

pytestmark = pytest.mark.django_db

HOUR = 3600


def _filters(user, **params) -> selectors.Filters:
    query = QueryDict(mutable=True)
    query.update({key: str(value) for key, value in params.items()})
    return AnalyticsFilterForm.for_user(user, query).filters()


# Medians from hour histograms ------------------------------------------------------------------

def test_a_histogram_median_is_the_middle_case_or_the_mean_of_the_two_middle_ones():
    assert histogram_median([]) == (0, None)
    assert histogram_median([(5, 1, 5 * HOUR + 60)]) == (1, timedelta(seconds=5 * HOUR + 60))
    # 2, 4, 9, 30 days: the two middle ones are 4 and 9 days (rows in any order).
    days = [(d * 24, 1, d * 86400) for d in (30, 2, 9, 4)]
    assert histogram_median(days) == (4, timedelta(days=6.5))
    # Rows of the same hour (several groups) add up; a case stands at its hour's mean duration.
    assert histogram_median([(1, 2, 2 * HOUR + 1200), (1, 1, HOUR + 600), (3, 1, 3 * HOUR)]) == (
        4, timedelta(seconds=HOUR + 600))


def test_a_histogram_median_is_off_by_under_an_hour():
    durations = [HOUR * 7 + 100, HOUR * 7 + 3000, HOUR * 8 + 10, HOUR * 30, HOUR * 7 + 1799]
    buckets: dict[int, list[int]] = {}
    for seconds in durations:
        buckets.setdefault(seconds // HOUR, [0, 0])
        buckets[seconds // HOUR][0] += 1
        buckets[seconds // HOUR][1] += seconds
    count, median = histogram_median([(hours, n, total) for hours, (n, total) in buckets.items()])
    exact = sorted(durations)[2]
    assert count == 5
    assert abs(median.total_seconds() - exact) < HOUR


def test_on_whole_hours_the_histogram_medians_equal_the_exact_ones(campaign, operator_reviewer):
    generate(campaign, 90, partners=3)
    times = selectors.times(operator_reviewer, _filters(operator_reviewer), run=selectors.LIVE)
    exact = duration_medians(ApplicationEvent.objects.filter(transition="enrol"),
                             F("created_at") - F("subject__submitted_at"))[()]
    assert (exact[0], in_days(exact[1])) == (times.rows[0].count, times.rows[0].median_days)
    checks = duration_medians(ApplicationDocument.objects.filter(checked_at__isnull=False),
                              F("checked_at") - F("uploaded_at"), group_by=("application__partner__short_name",))
    assert {(row.partner,) for row in times.document_checks} == set(checks)
    for row in times.document_checks:
        count, median = checks[(row.partner,)]
        assert (row.count, row.median_days) == (count, in_days(median))


# Summaries equal the live figures ---------------------------------------------------------------

@pytest.fixture
def national(campaign):
    """Three partners' applications in every status, with history rows and checked scans; the
    summaries rebuilt."""
    generate(campaign, 120, partners=3)
    return summaries_refresh()


FILTER_CASES = [{}, {"region": "54"}, {"category": "youth"}, {"month": "2026-03"}, {"region": "70", "month": "2026-04"}]


@pytest.mark.parametrize("params", FILTER_CASES)
def test_the_summaries_give_the_live_figures(national, operator_reviewer, params):
    filters = _filters(operator_reviewer, **params)
    run = selectors.summary_run(operator_reviewer, filters)
    assert run == national
    summary, live = (selectors.funnel(operator_reviewer, filters, run=r) for r in (run, selectors.LIVE))
    assert summary == live
    assert summary.steps[0].count == 120 if not params else 0 < summary.steps[0].count < 120
    for top in (None, 1, 20):
        assert (selectors.times(operator_reviewer, filters, run=run, top=top)
                == selectors.times(operator_reviewer, filters, run=selectors.LIVE, top=top))


def test_the_summaries_answer_only_the_national_view(national, operator_reviewer, staff_a, employment_reviewer):
    partner = DocumentCheckPartner.objects.values_list("partner_id", flat=True)[0]
    assert selectors.summary_run(operator_reviewer, _filters(operator_reviewer)) == national
    assert selectors.summary_run(operator_reviewer, _filters(operator_reviewer, partner=partner)) is None
    for user in (staff_a, employment_reviewer):
        assert selectors.summary_run(user, _filters(user)) is None


def test_without_a_rebuild_the_page_is_live(campaign, operator_reviewer, client):
    generate(campaign, 30)
    assert selectors.summary_run(operator_reviewer, _filters(operator_reviewer)) is None
    client.force_login(operator_reviewer)
    response = client.get(reverse("analytics:overview"))
    assert not response.context["from_summary"]
    assert "по текущему состоянию" in response.content.decode()


def test_the_summaries_are_a_snapshot_until_the_next_rebuild(national, campaign, operator_reviewer, client):
    generate(campaign, 30, partners=1)
    filters = _filters(operator_reviewer)
    assert selectors.funnel(operator_reviewer, filters).steps[0].count == 120
    assert selectors.funnel(operator_reviewer, filters, run=selectors.LIVE).steps[0].count == 150
    client.force_login(operator_reviewer)
    response = client.get(reverse("analytics:overview"))
    assert response.context["from_summary"]
    assert response.context["as_of"] == national.built_at
    assert "по сводке" in response.content.decode()
    rows = StatusSummary.objects.count(), DocumentCheckSummary.objects.count()
    summaries_refresh()
    summaries_refresh()  # a rebuild replaces, never adds
    assert selectors.funnel(operator_reviewer, filters).steps[0].count == 150
    assert (StatusSummary.objects.count(), DocumentCheckSummary.objects.count()) >= rows
    assert SummaryRun.objects.count() == 1


def test_the_command_and_the_beat_task_rebuild(campaign, operator_reviewer):
    generate(campaign, 30)
    out = io.StringIO()
    call_command("analytics_refresh", stdout=out)
    assert "пересчитана" in out.getvalue()
    first = SummaryRun.objects.get().built_at
    assert summaries_refresh_task.apply().get() >= 0
    assert SummaryRun.objects.get().built_at >= first
    assert selectors.funnel(operator_reviewer, _filters(operator_reviewer)).steps[0].count == 30


# Bounded tables and filters -----------------------------------------------------------------------

def test_the_page_shows_the_largest_partners_others_and_the_total(national, operator_reviewer, client, monkeypatch):
    monkeypatch.setattr(selectors, "TOP", 1)
    filters = _filters(operator_reviewer)
    everyone = selectors.money(operator_reviewer, filters)
    shown = selectors.bounded_money(everyone, 1)
    assert [row.others for row in shown] == [0, 2, 0]
    assert shown[-1].total
    assert shown[0].quota_money == max(row.quota_money for row in everyone if not row.total)
    assert shown[1].partner == "Остальные (2)"
    assert shown[0].quota_money + shown[1].quota_money == shown[2].quota_money == everyone[-1].quota_money
    checks = selectors.times(operator_reviewer, filters, top=1).document_checks
    assert [(row.others, row.total) for row in checks] == [(0, False), (2, False), (0, True)]
    assert checks[0].count + checks[1].count == checks[2].count
    client.force_login(operator_reviewer)
    html = client.get(reverse("analytics:overview")).content.decode()
    assert html.count("Остальные (2)") >= 4  # money table and chart, document check table and chart
    assert "все партнёры — в выгрузке CSV" in html


def test_the_operator_chooses_a_program_within_a_partner(campaign, operator_reviewer, staff_a, client):
    partners = generate(campaign, 30, partners=2)
    form = AnalyticsFilterForm.for_user(operator_reviewer, QueryDict())
    assert "program" not in form.fields
    chosen = QueryDict(f"partner={partners[0].pk}")
    programs = AnalyticsFilterForm.for_user(operator_reviewer, chosen).fields["program"].choices[1:]
    assert {pk for pk, _title in programs} == set(partners[0].programs.values_list("pk", flat=True))
    assert "program" in AnalyticsFilterForm.for_user(staff_a, QueryDict()).fields
    client.force_login(operator_reviewer)
    html = client.get(reverse("analytics:overview")).content.decode()
    assert "сначала выберите партнёра" in html
    assert f'<option value="{partners[0].pk}">' in html


def test_the_plain_select_marks_the_choice_and_escapes():
    widget = PlainSelect(choices=[("", "Все"), (1, "<Б & В>"), (2, "Г")])
    html = widget.render("partner", 1, attrs={"id": "id_partner"})
    assert html == ('<select id="id_partner" name="partner"><option value="">Все</option>'
                    '<option value="1" selected>&lt;Б &amp; В&gt;</option><option value="2">Г</option></select>')


def test_a_month_filter_on_the_summaries_matches_the_cohort_dates(national, operator_reviewer):
    month = dt.date(2026, 3, 1)
    filters = _filters(operator_reviewer, month="2026-03")
    assert filters.month == month
    assert StatusSummary.objects.filter(cohort_month=month).exists()
