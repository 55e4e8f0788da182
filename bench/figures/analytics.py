"""Figure 7: the operator's analytics page on the whole data set — server time (Django test client,
no network) and queries. Its limit is the target itself: a page of aggregates has no "bare" peer."""
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.harness import count, result, timed


def run(ctx) -> list[dict]:
    client = Client()
    client.force_login(ctx.operator)
    url = reverse("analytics:overview")

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    median, times = timed(page)
    with CaptureQueriesContext(connection) as queries:
        page()
    return [result(f"Analytics page, operator, {count(ctx.scale.applications)} applications",
                   value=median * 1000, unit="ms", target="≤ 300 ms, ≤ 15 queries",
                   met=median <= 0.300 and len(queries) <= 15,
                   note=f"{len(queries)} queries; runs {', '.join(f'{t * 1000:.0f}' for t in times)} ms")]
