"""A re-delivered РР row is settled by its digest (Application.rr_digest) without being parsed,
and only when it is the row applied last: whatever the full path would change goes the full path."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Application, ApplicationEvent
from enrollment.services.feed import rr_import
from tests.enrollment.test_feed_applications import feed_file, row
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

T1, T2 = "2026-02-11T09:00:00+03:00", "2026-02-12T09:00:00+03:00"


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1")
    CohortFactory(program=program, odin_id="c-1")
    CohortFactory(program=program, odin_id="c-9")
    return program


def imported(*rows: str):
    return rr_import(kind="applications", source=feed_file(*rows, versioned=True))


def locks(queries) -> int:
    """The batches' look-ups (`SELECT … FOR UPDATE` on PostgreSQL) of known applications by number:
    the full path ran."""
    return sum('"enrollment_application"."rr_number" IN' in q["sql"] for q in queries)


def test_a_re_delivered_file_is_settled_in_one_look_up_with_nothing_written(program):
    rows = [row(n, changed=T1) for n in range(1, 6)]
    assert imported(*rows).counts["created"] == 5
    stored = dict(Application.objects.values_list("rr_number", "rr_digest"))
    assert None not in stored.values()
    assert len(set(stored.values())) == 5
    events = ApplicationEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = imported(*reversed(rows))  # another order: the file is not refused as a duplicate
    assert not again.duplicate_of
    assert dict(again.counts) == {"unchanged": 5}
    assert locks(queries) == 0
    assert [q["sql"] for q in queries if "rr_digest" in q["sql"]]
    assert len(queries) <= 8
    assert dict(Application.objects.values_list("rr_number", "rr_digest")) == stored
    assert ApplicationEvent.objects.count() == events


def test_a_row_of_the_same_moment_applied_over_another_is_applied_again_when_it_returns(program):
    """R6 compares a version of the same moment as usual: A, then B (another cohort), then A again
    puts the cohort back. A's digest is not the stored one any more, so A takes the full path."""
    imported(row(1, cohort="c-1", changed=T1))
    assert imported(row(1, cohort="c-9", changed=T1)).counts["updated"] == 1
    with CaptureQueriesContext(connection) as queries:
        back = imported(row(1, cohort="c-1", changed=T1), row(2))  # row 2: not the first file's bytes
    assert (back.counts["updated"], back.counts["created"], locks(queries)) == (1, 1, 1)
    assert Application.objects.get(rr_number="РР-2026-000001").cohort.odin_id == "c-1"


def test_a_newer_version_with_nothing_changed_stores_its_digest_and_an_older_one_stays_stale(program):
    imported(row(1, changed=T1))
    newer = imported(row(1, changed=T2))
    assert (newer.counts["unchanged"], newer.counts["stale"]) == (1, 0)
    with CaptureQueriesContext(connection) as queries:
        assert imported(row(1, changed=T2)).counts["unchanged"] == 1
    assert locks(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        older = imported(row(1, changed=T1), row(2))  # no longer the row applied last: the full path says stale
    assert (older.counts["unchanged"], older.counts["stale"], locks(queries)) == (1, 1, 1)


def test_a_settled_row_beside_new_and_rejected_ones_is_counted_once(program):
    imported(row(1, changed=T1))
    result = imported(row(1, changed=T1), row(2, changed=T1), row(3, program="p-404", changed=T1))
    assert (result.counts["unchanged"], result.counts["created"], result.counts["rejected"]) == (1, 1, 1)
    assert result.errors[0].row == 4
