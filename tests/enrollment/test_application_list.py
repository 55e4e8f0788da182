"""The applications list (the partner's work queue): each role sees its scope; configurable columns
with saved sets, per-column search, status and cohort filters, global search by number, name, SNILS
or e-mail; counters per status linking to the filtered list; sorting; pages of 50; a CSV export of
exactly the chosen columns; a constant number of queries whatever the page size."""
import re

import pytest
from django.http import QueryDict
from django.urls import reverse

from core.exports import get_export
from enrollment.models import Application, ApplicationColumnSet
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.enrollment.test_application_support import application_for, in_status
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db
URL = reverse("enrollment:application_list")
Status = Application.Status


@pytest.fixture
def apps(partner_a, partner_b, campaign):
    from accounts.models import Region

    program_a = ProgramFactory(partner=partner_a, campaign=campaign, title="Анализ данных")
    program_b = ProgramFactory(partner=partner_b, campaign=campaign, title="Сварка")
    a1 = application_for(program_a, Status.PRIMARY_DOCS_REVIEW, rr_number="1001",
                         citizen=CitizenFactory(last_name="Петров", first_name="Пётр", snils="11223344595",
                                                email="petrov@example.org"))
    a2 = application_for(program_a, Status.ENROLMENT_DOCS_REVIEW, rr_number="1002",
                         citizen=CitizenFactory(last_name="Сидорова", first_name="Анна", email="anna@example.org"))
    b1 = application_for(program_b, Status.PRIMARY_DOCS_REVIEW, rr_number="2001", region=Region.objects.get(code="54"),
                         citizen=CitizenFactory(last_name="Петренко", first_name="Иван"))
    return {"a1": a1, "a2": a2, "b1": b1}


def _numbers(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return [row["application"].rr_number for row in response.context["rows"]]


def test_each_role_sees_its_scope(client, personas, apps):
    assert sorted(_numbers(client, personas["staff_a"])) == ["1001", "1002"]
    assert _numbers(client, personas["staff_b"]) == ["2001"]
    assert sorted(_numbers(client, personas["employment_reviewer"])) == ["1001", "1002"]  # region 70
    assert sorted(_numbers(client, personas["operator_reviewer"])) == ["1001", "1002", "2001"]


def test_citizens_are_refused(client, citizen):
    client.force_login(citizen)
    assert client.get(URL).status_code == 403


def test_global_search_by_number_name_snils_or_email(client, operator_reviewer, apps):
    assert _numbers(client, operator_reviewer, q="100") == ["1002", "1001"]
    assert sorted(_numbers(client, operator_reviewer, q="Петр")) == ["1001", "2001"]
    assert _numbers(client, operator_reviewer, q="петров пётр") == ["1001"]
    assert _numbers(client, operator_reviewer, q="112-233-445 95") == ["1001"]
    assert _numbers(client, operator_reviewer, q="Anna@Example.org") == ["1002"]


def test_a_partner_cannot_widen_its_scope_by_searching(client, staff_a, apps):
    assert _numbers(client, staff_a, q="Петренко") == []
    assert _numbers(client, staff_a, q="2001") == []


def test_status_and_cohort_filters(client, operator_reviewer, apps):
    assert sorted(_numbers(client, operator_reviewer, status=Status.PRIMARY_DOCS_REVIEW)) == ["1001", "2001"]
    assert _numbers(client, operator_reviewer, cohort=apps["a2"].cohort_id) == ["1002"]


def test_per_column_search(client, operator_reviewer, apps):
    assert _numbers(client, operator_reviewer, s_program="Свар") == ["2001"]
    assert _numbers(client, operator_reviewer, s_name="Сидорова") == ["1002"]
    assert _numbers(client, operator_reviewer, s_snils="1122") == ["1001"]
    assert _numbers(client, operator_reviewer, s_email="anna@") == ["1002"]
    assert _numbers(client, operator_reviewer, s_number="20") == ["2001"]
    assert _numbers(client, operator_reviewer, s_status="зачисление") == ["1002"]
    assert _numbers(client, operator_reviewer, s_region="54") == ["2001"]


def test_counters_per_status_follow_the_other_filters_and_link_to_the_filtered_list(client, operator_reviewer, apps):
    client.force_login(operator_reviewer)
    response = client.get(URL, {"q": "Петр", "status": Status.ENROLMENT_DOCS_REVIEW})
    counts = {c["status"]: c["count"] for c in response.context["counts"]}
    assert counts[Status.PRIMARY_DOCS_REVIEW] == 2
    assert counts[Status.ENROLMENT_DOCS_REVIEW] == 0
    assert "?q=%D0%9F%D0%B5%D1%82%D1%80&amp;status=primary_docs_review" in response.content.decode()


def test_default_columns_and_chosen_columns(client, staff_a, apps):
    client.force_login(staff_a)
    response = client.get(URL)
    assert [c["key"] for c in response.context["columns"]] == ["number", "name", "active", "status", "snils", "email"]
    response = client.get(URL, {"cols": ["program", "number", "cohort"]})
    assert [c["key"] for c in response.context["columns"]] == ["number", "program", "cohort"]
    assert "Анализ данных" in response.content.decode()


def test_named_column_sets_are_saved_per_user_and_applied(client, staff_a, staff_b, apps):
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:column_set_save"), {"name": "Очередь", "cols": ["number", "phone"]})
    column_set = ApplicationColumnSet.objects.get(user=staff_a)
    assert response["Location"].endswith(f"?set={column_set.pk}")
    assert column_set.columns == ["number", "phone"]
    assert [c["key"] for c in client.get(URL, {"set": column_set.pk}).context["columns"]] == ["number", "phone"]
    client.post(reverse("enrollment:column_set_save"), {"name": "Очередь", "cols": ["status"]})
    assert ApplicationColumnSet.objects.get(user=staff_a).columns == ["status"]
    client.force_login(staff_b)
    assert [c["key"] for c in client.get(URL, {"set": column_set.pk}).context["columns"]][0] == "number"
    assert client.post(reverse("enrollment:column_set_delete", args=[column_set.pk])).status_code == 404
    client.force_login(staff_a)
    client.post(reverse("enrollment:column_set_delete", args=[column_set.pk]))
    assert not ApplicationColumnSet.objects.exists()


def test_sorting(client, operator_reviewer, apps):
    assert _numbers(client, operator_reviewer, sort="number") == ["1001", "1002", "2001"]
    assert _numbers(client, operator_reviewer, sort="-number") == ["2001", "1002", "1001"]
    assert _numbers(client, operator_reviewer, sort="name") == ["2001", "1001", "1002"]  # Петренко, Петров, Сидорова


def test_pages_of_fifty(client, staff_a, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    cohort = CohortFactory(program=program)
    ApplicationFactory.create_batch(51, program=program, cohort=cohort)
    client.force_login(staff_a)
    assert len(client.get(URL).context["rows"]) == 50
    assert len(client.get(URL, {"page": 2}).context["rows"]) == 1


@pytest.mark.parametrize("size", [3, 60])
def test_the_list_costs_the_same_number_of_queries_whatever_the_page_size(
        client, operator_reviewer, partner_a, campaign, size, django_assert_max_num_queries):
    from programs.models import CitizenCategory

    program = ProgramFactory(partner=partner_a, campaign=campaign)
    category = CitizenCategory.objects.first()
    for application in ApplicationFactory.create_batch(size, program=program, category=category):
        in_status(application, Status.PRIMARY_DOCS_REVIEW)
    client.force_login(operator_reviewer)
    client.get(URL)  # warm the session and the user
    columns = ["number", "name", "active", "status", "snils", "email", "program", "cohort", "region", "submitted",
               "category", "phone"]
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"cols": columns, "q": "Петров", "sort": "cohort"})
    assert len(response.context["rows"]) == min(size, 50)


def _export(user, query):
    spec = get_export("enrollment.applications")
    params = QueryDict(query)
    job_spec = spec.for_job(user, params)
    rows = [job_spec.row_for(a) for a in spec.queryset(user, params)]
    return job_spec.headers, rows


def test_the_export_has_exactly_the_chosen_columns_and_the_filters(staff_a, apps):
    headers, rows = _export(staff_a, "cols=number&cols=program&status=primary_docs_review")
    assert headers == ["Номер", "Программа"]
    assert rows == [["1001", "Анализ данных"]]
    headers, rows = _export(staff_a, "")
    assert headers == ["Номер", "ФИО", "Активная", "Статус", "СНИЛС", "E-mail"]
    assert len(rows) == 2


def test_the_export_of_a_saved_set(staff_a, apps):
    column_set = ApplicationColumnSet.objects.create(user=staff_a, name="Коротко", columns=["snils", "number"])
    headers, _rows = _export(staff_a, f"set={column_set.pk}")
    assert headers == ["Номер", "СНИЛС"]


def test_the_export_job_writes_the_chosen_columns(client, staff_a, apps, django_capture_on_commit_callbacks):
    from core.models import ExportJob

    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:export_start", args=["enrollment.applications"]),
                    {"cols": ["number", "email"], "q": "1001"})
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.READY, job.error
    text = job.file.read().decode("utf-8-sig")
    assert text.splitlines() == ["Номер;E-mail", "1001;petrov@example.org"]


def test_the_page_loads_only_what_its_columns_show(client, staff_a, apps):
    """The 50 rows come with the fields of the chosen columns only: not whole citizens with their
    passports (PDN: least data), and less to build per row. Every cell still renders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"cols": ["number", "status", "submitted", "cohort", "region", "name"]})
    page_query = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "enrollment_application" in q["sql"]
                      and "rr_number" in q["sql"])
    assert "passport" not in page_query
    assert "birth_date" not in page_query
    body = response.content.decode()
    a1 = apps["a1"]
    assert f'<a href="{reverse("enrollment:application_detail", args=[a1.pk])}">1001</a>' in body
    assert f'<span class="badge status-{a1.status}">{a1.get_status_display()}</span>' in body
    assert "Петров Пётр" in body
    assert "70 — " in body


# The cohort filter: a select of the user's cohorts, or a box for the Odin number when they are many.

def test_a_user_with_few_cohorts_chooses_from_a_select(client, staff_a, apps):
    cohort = apps["a1"].cohort
    client.force_login(staff_a)
    body = client.get(URL).content.decode()
    assert re.search(r'<select[^>]* name="cohort"', body)
    assert f'<option value="{cohort.pk}">#{cohort.odin_id} · ' in body
    assert 'name="cohort_number"' not in body


@pytest.fixture
def many_cohorts(monkeypatch):
    """More cohorts than the select offers (its bound made small)."""
    from enrollment import forms

    monkeypatch.setattr(forms, "COHORT_OPTIONS", 1)


def test_a_user_with_many_cohorts_types_the_cohorts_odin_number(client, staff_a, apps, many_cohorts):
    a2 = apps["a2"]
    client.force_login(staff_a)
    body = client.get(URL).content.decode()
    assert not re.search(r'<select[^>]* name="cohort"', body)
    assert f"#{a2.cohort.odin_id} · " not in body  # no option of any cohort
    assert '<input type="text" name="cohort_number"' in body
    assert _numbers(client, staff_a, cohort_number=a2.cohort.odin_id) == ["1002"]


def test_a_link_to_a_cohort_shows_its_number_and_the_box_decides_once_sent(client, staff_a, apps, many_cohorts):
    a1, a2 = apps["a1"], apps["a2"]
    client.force_login(staff_a)
    response = client.get(URL, {"cohort": a1.cohort_id})
    assert [row["application"].rr_number for row in response.context["rows"]] == ["1001"]
    assert f'name="cohort_number" value="{a1.cohort.odin_id}"' in response.content.decode()
    assert f'<input type="hidden" name="cohort" value="{a1.cohort_id}"' in response.content.decode()
    # The toolbar sends the hidden cohort with the box: the box wins, and emptied it drops the cohort.
    assert _numbers(client, staff_a, cohort=a1.cohort_id, cohort_number=a2.cohort.odin_id) == ["1002"]
    assert sorted(_numbers(client, staff_a, cohort=a1.cohort_id, cohort_number="")) == ["1001", "1002"]


def test_a_number_outside_the_users_cohorts_is_refused_with_a_message(client, staff_a, apps, many_cohorts):
    other = apps["b1"].cohort  # partner B's
    client.force_login(staff_a)
    for number in (other.odin_id, "no-such-cohort"):
        response = client.get(URL, {"cohort_number": number})
        body = response.content.decode()
        assert f"Поток с номером «{number}» не найден среди ваших потоков." in body
        assert 'aria-invalid="true"' in body
        # The list stays the user's, unfiltered.
        assert sorted(row["application"].rr_number for row in response.context["rows"]) == ["1001", "1002"]


def test_the_operators_page_draws_a_bounded_query_of_cohorts(client, operator_reviewer, apps, many_cohorts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(operator_reviewer)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    cohort_reads = [q["sql"] for q in queries if 'FROM "programs_cohort"' in q["sql"]]
    assert len(cohort_reads) == 1
    assert cohort_reads[0].rstrip().endswith("LIMIT 2")
