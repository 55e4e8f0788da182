"""Figure 7: the operator's analytics page on the whole data set — server time (Django test client,
no network) and queries. Its limit is the target itself: a page of aggregates has no "bare" peer.

The page reads the summaries (analytics.models) that Celery beat rebuilds every few minutes: they
are rebuilt here first, as beat would, and the rebuild's time is in the note (it runs in the
background, not in a request)."""
import time

from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import selectors
from analytics.forms import AnalyticsFilterForm
from analytics.services import summaries_refresh
from bench.harness import count, result, timed


def run(ctx) -> list[dict]:
    started = time.perf_counter()
    summary = summaries_refresh()
    refresh = time.perf_counter() - started
    client = Client()
    client.force_login(ctx.operator)
    url = reverse("analytics:overview")

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    default = AnalyticsFilterForm.for_user(ctx.operator, QueryDict()).filters()
    assert selectors.summary_run(ctx.operator, default), "the page would not read the summaries"
    median, times = timed(page)
    with CaptureQueriesContext(connection) as queries:
        page()
    return [result(f"Analytics page, operator, {count(ctx.scale.applications)} applications",
                   value=median * 1000, unit="ms", target="≤ 300 ms, ≤ 15 queries",
                   met=median <= 0.300 and len(queries) <= 15,
                   note=f"{len(queries)} queries; runs {', '.join(f'{t * 1000:.0f}' for t in times)} ms; "
                        f"summaries rebuilt first in {refresh:.1f} s (beat: every 5 min; "
                        f"in-transaction {summary.seconds:.1f} s)")]
