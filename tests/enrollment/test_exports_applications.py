"""The «Заявки» export read as tuples: every list column has its `Fields` (no column drags the job
back to model instances), each cell equals the list column's `value` of the instance, the whole
file equals the one built the old way, and the export filters exactly as the list's form does."""
import csv
import io

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from accounts.models import Region
from core import exports
from core.exports import _cell, _csv_text
from core.models import ExportJob
from enrollment import selectors
from enrollment.exports import APPLICATIONS, _applications, export_cells
from enrollment.forms import ApplicationFilterForm
from enrollment.models import Application
from programs.models import CitizenCategory
from tests.enrollment.factories import CitizenFactory
from tests.enrollment.test_application_support import application_for
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def apps(partner_a, partner_b, campaign):
    program_a = ProgramFactory(partner=partner_a, campaign=campaign, title="=Анализ данных")
    program_b = ProgramFactory(partner=partner_b, campaign=campaign, title="Сварка")
    return [
        application_for(program_a, Status.PRIMARY_DOCS_REVIEW, rr_number="1001",
                        category=CitizenCategory.objects.first(),
                        citizen=CitizenFactory(last_name="Петров", first_name="Пётр", middle_name="",
                                               snils="11223344595", email="petrov@example.org", phone="+79001234567")),
        application_for(program_a, Status.EMPLOYED, rr_number="1002", cohort=None,
                        citizen=CitizenFactory(last_name="Сидорова", first_name="Анна", email="anna@example.org")),
        application_for(program_b, Status.PRIMARY_DOCS_REVIEW, rr_number="2001", region=Region.objects.get(code="54"),
                        citizen=CitizenFactory(last_name="Петренко", first_name="Иван", phone="")),
    ]


def test_every_list_column_is_exported_from_fields():
    assert set(export_cells()) == set(selectors.COLUMNS)
    assert all(isinstance(cell, exports.Fields) for cell in export_cells().values())


@pytest.mark.parametrize("key", list(selectors.COLUMNS))
def test_each_cell_equals_the_list_columns_value(operator_reviewer, apps, key):
    cell = export_cells()[key]
    instances = {a.rr_number: a for a in Application.objects.select_related(
        "citizen", "program", "cohort", "region", "category")}
    for number, *values in Application.objects.order_by("rr_number").values_list("rr_number", *cell.fields):
        old = _cell(selectors.COLUMNS[key].value(instances[number]))
        assert _cell(cell.value(*values) if cell.value else values[0]) == old, (key, number)
        assert _cell(cell(instances[number])) == old, (key, number)


def test_the_export_keeps_the_snils_whole_that_the_list_masks(apps):
    [application] = [a for a in apps if a.rr_number == "1001"]
    assert export_cells()["snils"](application) == "11223344595"
    assert selectors.COLUMNS["snils"].cell(application) != "11223344595"


def _old_csv_rows(user, query: str) -> list[list[str]]:
    """The file as the export wrote it before (instances, `Column.value`, `_cell`, `_csv_text`)."""
    params = QueryDict(query)
    keys = selectors.column_keys(params.getlist("cols"))
    header = [str(selectors.COLUMNS[key].label) for key in keys]
    return [header] + [[_csv_text(_cell(selectors.COLUMNS[key].value(a))) for key in keys]
                       for a in _applications(user, params)]


@pytest.mark.parametrize("query", [
    "", "cols=" + "&cols=".join(selectors.COLUMNS), "status=primary_docs_review&cols=number&cols=cohort",
])
def test_the_file_equals_the_one_built_from_instances(operator_reviewer, apps, monkeypatch, query,
                                                      django_capture_on_commit_callbacks):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    params = QueryDict(query)
    job = exports.export_start(user=operator_reviewer, kind=APPLICATIONS, params=params)
    exports.export_build(job_id=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.READY, job.error
    rows = list(csv.reader(io.StringIO(job.file.read().decode("utf-8-sig")), delimiter=";"))
    assert rows == _old_csv_rows(operator_reviewer, query)
    assert job.done_rows == len(rows) - 1


@pytest.mark.parametrize("cohort", ["own", "other", "missing", "word", ""])
def test_the_cohort_filter_is_the_list_forms(staff_a, apps, partner_b, cohort):
    values = {"own": str(apps[0].cohort_id), "other": str(CohortFactory(program__partner=partner_b).pk),
              "missing": "999999", "word": "abc", "": ""}
    params = QueryDict(f"cohort={values[cohort]}&status=primary_docs_review")
    form = ApplicationFilterForm(params, cohorts=selectors.cohort_filter_choices(staff_a))
    expected = list(selectors.application_list_for(user=staff_a, **form.filters()).values_list("pk", flat=True))
    assert list(_applications(staff_a, params).values_list("pk", flat=True)) == expected


def test_the_export_reads_the_chosen_cohort_not_every_cohort(staff_a, apps):
    CohortFactory.create_batch(3, program=apps[0].program)
    with CaptureQueriesContext(connection) as queries:
        numbers = [a.rr_number for a in _applications(staff_a, QueryDict(f"cohort={apps[0].cohort_id}"))]
    assert numbers == ["1001"]
    cohort_reads = [q["sql"] for q in queries.captured_queries if 'FROM "programs_cohort"' in q["sql"]]
    assert cohort_reads
    assert all('"programs_cohort"."id" = ' in sql for sql in cohort_reads)


@pytest.mark.parametrize("number", ["own", "other", "missing", ""])
def test_the_cohort_number_box_filters_the_export_as_it_does_the_list(staff_a, apps, partner_b, number):
    values = {"own": CohortFactory(program=apps[0].program).odin_id,  # a cohort of A's, with nobody in it
              "other": CohortFactory(program__partner=partner_b).odin_id, "missing": "no-such-cohort", "": ""}
    params = QueryDict(mutable=True)
    params.update({"cohort": str(apps[0].cohort_id), "cohort_number": values[number]})
    form = ApplicationFilterForm(params, cohorts=selectors.cohort_filter_choices(staff_a))
    expected = list(selectors.application_list_for(user=staff_a, **form.filters()).values_list("pk", flat=True))
    assert list(_applications(staff_a, params).values_list("pk", flat=True)) == expected
    # The box wins over the link's cohort: its cohort (nobody), or none when emptied (both of A's).
    assert {"own": [], "": sorted(a.pk for a in apps[:2])}.get(number, sorted(expected)) == sorted(expected)
