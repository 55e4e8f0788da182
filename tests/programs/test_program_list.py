"""The programs list: each role sees its own scope; search, filters, status counters, sorting,
pages of 50, the CSV export with the same filters, and a constant number of queries."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core.exports import get_export
from programs.models import Program
from tests.programs.factories import CohortFactory, ProgramFactory
from tests.programs.test_program_support import asked, in_status

pytestmark = pytest.mark.django_db
URL = reverse("programs:list")


@pytest.fixture
def programs(partner_a, partner_b, campaign):
    a1 = ProgramFactory(partner=partner_a, campaign=campaign, title="Анализ данных", short_title="Данные",
                        odin_id="odin-a1")
    a2 = in_status(ProgramFactory(partner=partner_a, campaign=campaign, title="Бухгалтерия 1С", odin_id="odin-a2",
                                  kind=Program.Kind.DPO_PP), Program.Status.OPERATOR_REVIEW)
    b1 = in_status(ProgramFactory(partner=partner_b, campaign=campaign, title="Сварка", odin_id="odin-b1",
                                  kind=Program.Kind.PO), Program.Status.OPERATOR_REVIEW)
    asked(a2, "70")
    asked(b1, "54")
    return {"a1": a1, "a2": a2, "b1": b1}


def _titles(client, user, **params):
    client.force_login(user)
    return [p.title for p in client.get(URL, params).context["page"].object_list]


def test_each_role_sees_its_scope(client, personas, programs):
    assert _titles(client, personas["staff_a"]) == ["Анализ данных", "Бухгалтерия 1С"]
    assert _titles(client, personas["staff_b"]) == ["Сварка"]
    assert _titles(client, personas["employment_reviewer"]) == ["Бухгалтерия 1С"]
    assert _titles(client, personas["operator_reviewer"]) == ["Анализ данных", "Бухгалтерия 1С", "Сварка"]


def test_citizens_are_refused(client, citizen):
    client.force_login(citizen)
    assert client.get(URL).status_code == 403


def test_a_partner_cannot_widen_the_scope_by_filter(client, staff_a, partner_b, programs):
    assert _titles(client, staff_a, partner=partner_b.pk, q="Сварка") == []
    client.force_login(staff_a)
    counts = {c["status"]: c["count"] for c in client.get(URL).context["counts"]}
    assert counts["operator_review"] == 1
    assert sum(counts.values()) == 2


def test_search_by_title_short_title_or_odin_id(client, operator_reviewer, programs):
    assert _titles(client, operator_reviewer, q="Сварк") == ["Сварка"]
    assert _titles(client, operator_reviewer, q="Данные") == ["Анализ данных"]
    assert _titles(client, operator_reviewer, q="odin-a2") == ["Бухгалтерия 1С"]


def test_filters_by_status_kind_region_and_partner(client, operator_reviewer, partner_b, programs):
    assert _titles(client, operator_reviewer, status="operator_review") == ["Бухгалтерия 1С", "Сварка"]
    assert _titles(client, operator_reviewer, kind="po") == ["Сварка"]
    assert _titles(client, operator_reviewer, region="54") == ["Сварка"]
    assert _titles(client, operator_reviewer, partner=partner_b.pk) == ["Сварка"]


def test_status_counters_follow_the_other_filters_and_link_to_the_list(client, operator_reviewer, programs):
    client.force_login(operator_reviewer)
    response = client.get(URL, {"kind": "po", "status": "partner_revision"})
    counts = {c["status"]: c["count"] for c in response.context["counts"]}
    assert counts["operator_review"] == 1
    assert counts["partner_revision"] == 0
    assert "?kind=po&amp;status=operator_review" in response.content.decode()


def test_sorting_by_title_status_and_next_cohort_start(client, operator_reviewer, programs):
    today = timezone.localdate()
    CohortFactory(program=programs["b1"], start_date=today + dt.timedelta(days=40),
                  end_date=today + dt.timedelta(days=80))
    CohortFactory(program=programs["a1"], start_date=today + dt.timedelta(days=30),
                  end_date=today + dt.timedelta(days=80))
    CohortFactory(program=programs["a1"], start_date=today - dt.timedelta(days=3), end_date=today)  # started
    assert _titles(client, operator_reviewer, sort="-title") == ["Сварка", "Бухгалтерия 1С", "Анализ данных"]
    assert _titles(client, operator_reviewer, sort="status") == ["Анализ данных", "Бухгалтерия 1С", "Сварка"]
    assert _titles(client, operator_reviewer, sort="next_start") == ["Анализ данных", "Сварка", "Бухгалтерия 1С"]
    assert _titles(client, operator_reviewer, sort="-next_start") == ["Сварка", "Анализ данных", "Бухгалтерия 1С"]
    client.force_login(operator_reviewer)
    page = client.get(URL, {"sort": "next_start"}).context["page"]
    assert page.object_list[0].next_start == today + dt.timedelta(days=30)


def test_pages_of_fifty(client, operator_reviewer, partner_a, campaign):
    ProgramFactory.create_batch(51, partner=partner_a, campaign=campaign)
    client.force_login(operator_reviewer)
    assert len(client.get(URL).context["page"].object_list) == 50
    assert len(client.get(URL, {"page": 2}).context["page"].object_list) == 1


@pytest.mark.parametrize("size", [5, 60])
def test_the_list_costs_the_same_number_of_queries_whatever_the_page_size(
        client, operator_reviewer, partner_a, campaign, size, django_assert_max_num_queries):
    today = timezone.localdate()
    for program in ProgramFactory.create_batch(size, partner=partner_a, campaign=campaign):
        CohortFactory(program=program, start_date=today + dt.timedelta(days=30), end_date=today + dt.timedelta(days=60))
        asked(program, "70")
    client.force_login(operator_reviewer)
    client.get(URL)  # warm the session and the user
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"sort": "next_start"})
    assert len(response.context["page"].object_list) == min(size, 50)


def _export_rows(user, query=""):
    spec = get_export("programs.programs")
    return [spec.row_for(p) for p in spec.queryset(user, QueryDict(query))]


def test_the_export_keeps_the_scope_and_the_filters(staff_a, operator_reviewer, citizen, programs):
    assert {row[0] for row in _export_rows(staff_a)} == {"Анализ данных", "Бухгалтерия 1С"}
    rows = _export_rows(operator_reviewer, "status=operator_review&region=54")
    assert [(row[0], row[3], row[10]) for row in rows] == [("Сварка", "Партнёр Б", "54: На согласовании")]
    with pytest.raises(PermissionDenied):
        _export_rows(citizen)


def test_the_export_button_posts_the_current_filters(client, staff_a, programs):
    client.force_login(staff_a)
    body = client.get(URL, {"status": "operator_review"}).content.decode()
    assert reverse("core:export_start", args=["programs.programs"]) in body
    assert '<input type="hidden" name="status" value="operator_review">' in body
