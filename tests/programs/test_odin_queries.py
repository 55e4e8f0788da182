"""Volume: lookups per batch, bulk writes per batch, so the number of queries does not grow
with the rows of a batch."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.imports import import_data
from programs.services.odin import CohortFeed, ProgramFeed

pytestmark = pytest.mark.django_db

HEADER = ("odin_id,partner_inn,campaign_code,national_project,title,short_title,kind,academic_hours,"
          "distance_hours,study_form,min_education_level,qualification\n")


def programs_file(partners, n, title="Программа", prefix="p") -> bytes:
    return (HEADER + "".join(f"{prefix}-{i},{partners[i % 2].inn},amsz-2026,1,{title} {i},,ДПО ПК,72,36,заочная,,\n"
                             for i in range(n))).encode()


def cohorts_file(n, prefix="p") -> bytes:
    return ("odin_id,program_odin_id,start_date,end_date,max_students\n"
            + "".join(f"c{prefix}-{i},{prefix}-{i},2026-03-02,2026-04-30,{i % 30}\n" for i in range(n))).encode()


def test_a_500_row_file_takes_a_bounded_number_of_queries(partner_a, partner_b, django_assert_max_num_queries):
    partners = [partner_a, partner_b]
    # SQLite caps a statement at 999 parameters, so Django splits bulk inserts of the ~30-column
    # program rows into chunks of 33: a few dozen statements there, about ten on PostgreSQL.
    with django_assert_max_num_queries(40):
        created = import_data(programs_file(partners, 500), ProgramFeed())
    assert created.counts["created"] == 500
    with django_assert_max_num_queries(5):
        unchanged = import_data(programs_file(partners, 500), ProgramFeed())
    assert unchanged.counts["unchanged"] == 500
    with django_assert_max_num_queries(20):
        updated = import_data(programs_file(partners, 500, title="Новое"), ProgramFeed())
    assert updated.counts["updated"] == 500
    with django_assert_max_num_queries(20):
        cohorts = import_data(cohorts_file(500), CohortFeed())
    assert cohorts.counts["created"] == 500


@pytest.mark.postgres
def test_queries_do_not_grow_with_the_rows(partner_a, partner_b):
    """Exactly the same statements for 50 and for 500 rows (PostgreSQL takes a whole batch per
    statement; SQLite's 999-parameter cap splits inserts and updates into chunks)."""
    partners = [partner_a, partner_b]
    counts = []
    for n in (50, 500):
        prefix = f"n{n}"
        with CaptureQueriesContext(connection) as created:
            import_data(programs_file(partners, n, prefix=prefix), ProgramFeed())
        with CaptureQueriesContext(connection) as updated:
            import_data(programs_file(partners, n, title="Новое", prefix=prefix), ProgramFeed())
        with CaptureQueriesContext(connection) as cohorts:
            import_data(cohorts_file(n, prefix=prefix), CohortFeed())
        counts.append((len(created), len(updated), len(cohorts)))
    assert counts[0] == counts[1]
