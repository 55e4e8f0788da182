"""The applications list draws its hot parts in Python (benchmark issue #8): the table's rows, the
counters per status, and its total from the counters instead of a COUNT query. Each must give
exactly what the templates and the paginator gave before: the same cells, escaped, the same counter
links (`{% querystring %}`), the same total and pages."""
import datetime as dt

import pytest
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.timezone import localtime

from enrollment import selectors
from enrollment.models import Application
from enrollment.views.applications import _counters_html, _rows_html
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.enrollment.test_application_support import application_for
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db
URL = reverse("enrollment:application_list")
Status = Application.Status


def _words(html: str) -> str:
    """The markup with its runs of white space as one space: what the browser makes of it."""
    return " ".join(html.split())


def _template_cell(column, application) -> str:
    """A cell as the list drew it before its rows were built in one pass (the reference)."""
    value = column.cell(application)
    if column.key == "number":
        return format_html('<a href="{}">{}</a>', reverse("enrollment:application_detail", args=[application.pk]),
                           value)
    if column.key == "status":
        return format_html('<span class="badge status-{}">{}</span>', application.status, value)
    if column.key == "submitted":
        return conditional_escape(date_format(localtime(value), "d.m.Y H:i") if value else "—")
    return conditional_escape(value or "—")


@pytest.fixture
def tricky(partner_a, campaign):
    """Applications whose cells need escaping, are empty, or differ per row."""
    program = ProgramFactory(partner=partner_a, campaign=campaign, title='Сварка <b>"&"</b>')
    cohort = CohortFactory(program=program)
    first = application_for(program, Status.PRIMARY_DOCS_REVIEW, cohort=cohort, rr_number="РР-<1>&",
                            citizen=CitizenFactory(last_name="О'Нил <script>", first_name="Анна", middle_name="",
                                                   email="a&b@example.org", phone=""))
    second = application_for(program, Status.STUDYING, cohort=None, rr_number="РР-2", category=None,
                             citizen=CitizenFactory(last_name="Петров", first_name="Пётр"))
    Application.objects.filter(pk=second.pk).update(is_active=False)
    Application.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))
    return [first, second]


def test_the_rows_are_the_cells_the_template_drew(tricky):
    columns = list(selectors.COLUMNS.values())
    applications = list(selectors.application_rows(Application.objects.filter(pk__in=[a.pk for a in tricky]),
                                                   sort="number", columns=columns))
    for language in ("ru", "en", "ru"):  # the labels are remembered per language, never across
        with translation.override(language):
            expected = "".join("\n    <tr>" + "".join(f"<td>{_template_cell(c, a)}</td>" for c in columns)
                               + "</tr>\n    " for a in applications)
            html = _rows_html(applications, columns)
        assert _words(html) == _words(expected)
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "***-***-***" in html  # the list masks SNILS (PDN-10), as before


def _template_counters(request, counts, current) -> str:
    """The counters as the template drew them before (the reference): querystring and the badge."""
    return engines["django"].from_string(
        '{% for item in counts %}{% if item.count or item.status == current_status %}\n'
        '    <li><a href="{% querystring status=item.status page=None %}"'
        '{% if item.status == current_status %} aria-current="true"{% endif %}>\n'
        '      {% include "partials/status_badge.html" with value=item.status label=item.label %}\n'
        '      <span class="count">{{ item.count }}</span></a></li>\n  {% endif %}{% endfor %}'
    ).render({"counts": counts, "current_status": current}, request)


@pytest.mark.parametrize(("query", "current"), [
    ("", ""),
    ("status=studying&page=3", "studying"),
    ("q=%3Cb%3E+%26+%22x%22&cols=number&cols=name&status=expelled&page=2&s_name=%D0%9F", "expelled"),
])
def test_the_counters_are_the_links_and_badges_the_template_drew(query, current):
    request = RequestFactory().get(f"{URL}?{query}")
    counts = selectors.application_status_counts(totals={Status.PRIMARY_DOCS_REVIEW: 2, Status.STUDYING: 1200})
    assert _words(_counters_html(request, counts, current)) == _words(_template_counters(request, counts, current))


def test_the_total_comes_from_the_counters_without_a_count_query(client, staff_a, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    cohort = CohortFactory(program=program)
    ApplicationFactory.create_batch(51, program=program, cohort=cohort)
    application_for(program, Status.STUDYING, cohort=cohort)
    client.force_login(staff_a)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert not [q for q in queries if "COUNT(*)" in q["sql"]]
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(response.context["rows"])) == (52, 2, 50)
    assert "Показаны 1–50 из 52" in response.content.decode()
    assert client.get(URL, {"page": 2}).context["page"].paginator.count == 52
    studying = client.get(URL, {"status": Status.STUDYING}).context["page"]
    assert (studying.paginator.count, len(studying.object_list)) == (1, 1)
    assert client.get(URL, {"status": Status.EXPELLED}).context["page"].paginator.count == 0


def test_the_menu_follows_the_script_prefix(client, staff_a):
    """The menu's URLs are remembered per URLconf and script prefix, never across them."""
    from django.urls import get_script_prefix, set_script_prefix

    from accounts.context_processors import _navigation

    request = RequestFactory().get("/")
    request.user = staff_a
    before = get_script_prefix()
    try:
        set_script_prefix("/flow/")
        prefixed = [item["url"] for item in _navigation(request)["items"]]
        set_script_prefix("/")
        plain = [item["url"] for item in _navigation(request)["items"]]
    finally:
        set_script_prefix(before)
    assert plain
    assert all(url.startswith("/flow/") for url in prefixed)
    assert prefixed == ["/flow" + url for url in plain]
