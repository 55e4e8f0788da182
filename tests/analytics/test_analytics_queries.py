"""The analytics page is a handful of aggregate queries whatever the number of applications:
at most 15 for the operator on 100,000 generated applications (PostgreSQL, with its server time
printed for docs/performance.md), live or from the summaries, and the same count for 30 or 300
(SQLite too)."""
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.services import summaries_refresh
from enrollment.models import Application
from tests.analytics.support import generate

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def _render(client, user, **params):
    client.force_login(user)
    url = reverse("analytics:overview")
    client.get(url, params)  # warm up: session, translations, template loading
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return response, len(queries), elapsed


def test_the_page_makes_the_same_few_queries_for_30_or_300_applications(client, campaign, operator_reviewer,
                                                                         staff_a, employment_reviewer):
    generate(campaign, 30)
    few = {user: _render(client, user)[1] for user in (operator_reviewer, staff_a, employment_reviewer)}
    generate(campaign, 270, partners=2)
    assert Application.objects.count() == 300
    response, many, elapsed = _render(client, operator_reviewer)
    print(f"\nanalytics page, operator, 300 applications: {many} queries, {elapsed:.3f} s server time")
    assert many == few[operator_reviewer]
    assert many < MAX_QUERIES
    assert response.context["funnel"].steps[0].count == 300
    for user in (staff_a, employment_reviewer):
        assert _render(client, user)[1] == few[user] < MAX_QUERIES


def test_filters_do_not_add_queries(client, campaign, operator_reviewer):
    generate(campaign, 60)
    response, plain, _elapsed = _render(client, operator_reviewer)
    form = response.context["form"]
    assert "program" not in form.fields  # the operator picks a partner first
    partner = form.fields["partner"].choices[1][0]
    response, with_partner, _elapsed = _render(client, operator_reviewer, partner=partner)
    program = response.context["form"].fields["program"].choices[1][0]
    params = {"campaign": campaign.pk, "region": "70", "partner": partner, "program": program,
              "category": form.fields["category"].choices[1][0], "month": "2026-03"}
    response, filtered, _elapsed = _render(client, operator_reviewer, **params)
    assert filtered == with_partner == plain
    assert not response.context["form"].errors
    assert response.context["form"].filters().program == program


def test_the_summaries_keep_the_page_within_its_queries(client, campaign, operator_reviewer):
    generate(campaign, 60, partners=3)
    summaries_refresh()
    response, few, _elapsed = _render(client, operator_reviewer)
    assert response.context["from_summary"]
    generate(campaign, 240, partners=30)
    summaries_refresh()
    response, many, _elapsed = _render(client, operator_reviewer)
    assert response.context["funnel"].steps[0].count == 300
    assert many == few <= MAX_QUERIES
    # A region filter: the funnel and enrolment from the summary, the document checks live.
    assert _render(client, operator_reviewer, region="70")[1] <= MAX_QUERIES


@pytest.mark.postgres
def test_the_operator_page_renders_in_under_15_queries_on_100_000_applications(client, campaign, operator_reviewer):
    started = time.perf_counter()
    generate(campaign, 100_000, partners=20, programs_per_partner=5)
    with connection.cursor() as cursor:
        for table in ("enrollment_application", "enrollment_applicationevent", "enrollment_applicationdocument"):
            cursor.execute(f"ANALYZE {table}")
    generated = time.perf_counter() - started
    response, queries, elapsed = _render(client, operator_reviewer)
    assert queries <= MAX_QUERIES
    assert response.context["funnel"].steps[0].count == 100_000
    run = summaries_refresh()
    summary, summary_queries, summary_elapsed = _render(client, operator_reviewer)
    assert summary.context["from_summary"]
    assert summary_queries <= MAX_QUERIES
    assert [s.count for s in summary.context["funnel"].steps] == [s.count for s in response.context["funnel"].steps]
    assert summary.context["times"] == response.context["times"]
    print(f"\nanalytics page, operator, 100,000 applications: live {queries} queries, {elapsed:.3f} s server time; "
          f"summaries rebuilt in {run.seconds:.2f} s, then {summary_queries} queries, {summary_elapsed:.3f} s "
          f"(data generated in {generated:.1f} s)")
