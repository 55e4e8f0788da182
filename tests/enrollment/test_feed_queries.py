"""Volume: the applications feed looks up and writes per batch, so its queries do not grow with
the rows of a batch (new citizens, new applications for known citizens, re-deliveries)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.imports import import_data
from enrollment.models import Application
from enrollment.services.feed import ApplicationFeed
from tests.enrollment.factories import valid_snils
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(ApplicationFeed.required_columns)


def applications_file(n: int, *, numbers_from: int, people_from: int | None = None, month: str = "02",
                      changed: str | None = None, category: str = "unemployed") -> bytes:
    """n rows numbered from `numbers_from`, of n people from `people_from` (by default the same);
    with `changed`, every row is a version of that moment (the `changed_at` column)."""
    people_from = numbers_from if people_from is None else people_from
    version = "" if changed is None else f",{changed}"

    def one(i):
        person = people_from + i
        return (f"РР-{numbers_from + i:09d},2026-{month}-{1 + i % 28:02d}T12:00:00+03:00,Иванов,Иван,Иванович,"
                f"1980-01-01,{valid_snils(person)},p{person}@example.org,+79130000000,70,p-{i % 3},c-{i % 3},"
                f"{category}{version}\n")
    header = HEADER + ("" if changed is None else ",changed_at") + "\n"
    return (header + "".join(one(i) for i in range(n))).encode()


@pytest.fixture
def programs(db):
    for i in range(3):
        CohortFactory(program=ProgramFactory(odin_id=f"p-{i}"), odin_id=f"c-{i}")


def test_a_500_row_file_takes_a_bounded_number_of_queries(programs, django_assert_max_num_queries):
    # SQLite caps a statement at 999 parameters, so Django splits the bulk inserts into chunks
    # (about 25 applications or events per INSERT); PostgreSQL takes each table in one statement.
    with django_assert_max_num_queries(150):
        created = import_data(applications_file(500, numbers_from=1), ApplicationFeed())
    assert created.counts["created"] == 500
    assert created.counts["invitations"] == 500
    with django_assert_max_num_queries(10):
        unchanged = import_data(applications_file(500, numbers_from=1), ApplicationFeed())
    assert unchanged.counts["unchanged"] == 500
    with django_assert_max_num_queries(150):  # 500 newer applications of the same citizens
        newer = import_data(applications_file(500, numbers_from=1001, people_from=1, month="03"), ApplicationFeed())
    assert newer.counts["created"] == newer.counts["deactivated"] == 500


def test_versioned_updates_and_stale_versions_take_a_bounded_number_of_queries(programs,
                                                                               django_assert_max_num_queries):
    """R6: the version compare reads the stored moment with the applications the batch loads
    anyway; a stale file writes nothing."""
    import_data(applications_file(500, numbers_from=1), ApplicationFeed())
    with django_assert_max_num_queries(20):  # one UPDATE … FROM (VALUES …) and the history rows
        updated = import_data(applications_file(500, numbers_from=1, changed="2026-03-20T10:00:00+03:00",
                                                category=""), ApplicationFeed())
    assert updated.counts["updated"] == 500
    with django_assert_max_num_queries(10):
        stale = import_data(applications_file(500, numbers_from=1, changed="2026-03-19T10:00:00+03:00"),
                            ApplicationFeed())
    assert (stale.counts["unchanged"], stale.counts["stale"]) == (500, 500)
    assert not Application.objects.exclude(category=None).exists()


def shapes(n: int, offset: int) -> list[int]:
    """Statements for: n new citizens, n newer applications of them, the same file again, a newer
    version of those applications, an older (stale) one."""
    later = applications_file(n, numbers_from=offset + 5000, people_from=offset, month="03")
    update = applications_file(n, numbers_from=offset + 5000, people_from=offset, month="03",
                               changed="2026-03-30T10:00:00+03:00", category="")
    stale = applications_file(n, numbers_from=offset + 5000, people_from=offset, month="03",
                              changed="2026-03-29T10:00:00+03:00")
    counts = []
    for data in (applications_file(n, numbers_from=offset), later, later, update, stale):
        with CaptureQueriesContext(connection) as queries:
            import_data(data, ApplicationFeed())
        counts.append(len(queries))
    return counts


@pytest.mark.postgres
def test_queries_do_not_grow_with_the_rows(programs):
    """Exactly the same number of statements for 150 and for 500 rows on PostgreSQL (both written by
    COPY: below core.bulk.COPY_FROM rows a table takes one INSERT instead of two statements)."""
    small, large = shapes(150, 10_000), shapes(500, 20_000)
    assert small == large
    assert Application.objects.filter(is_active=True).count() == 650
