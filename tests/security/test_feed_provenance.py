"""Checklist IMP-09 (152-FZ art. 18 p.3): every citizen created by the РР feed records where the
data came from, on what legal basis, and when Flow received them. Citizens entered otherwise
(demo data, factories) or known before the import keep the fields blank: the feed does not claim
a provenance it did not establish."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollment.models import Citizen
from enrollment.services.feed import rr_import
from tests.enrollment.factories import CitizenFactory, valid_snils
from tests.enrollment.test_feed_applications import feed_file, row
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1")
    CohortFactory(program=program, odin_id="c-1")
    return program


def test_every_citizen_created_by_an_import_records_source_basis_and_receipt(program):
    known = CitizenFactory(snils=valid_snils(9), email="known@example.org")
    before = timezone.now()
    result = rr_import(kind="applications", source=feed_file(row(1), row(2), row(3, snils=valid_snils(9))),
                       batch_size=2)
    assert (result.exit_code, result.counts["citizens_created"]) == (0, 2), result.errors

    imported = Citizen.objects.exclude(pk=known.pk)
    assert imported.count() == 2
    for citizen in imported:
        assert citizen.source == Citizen.DataSource.RABOTA_ROSSII
        assert citizen.basis == Citizen.DataBasis.RR_APPLICATION
        assert before <= citizen.received_at <= timezone.now()
    assert not Citizen.objects.filter(received_at=None).exclude(pk=known.pk).exists()
    label = imported.first().get_basis_display()
    assert "Работа России" in label
    assert "152-ФЗ" in label
    known.refresh_from_db()
    # The known citizen was not created from this file: no provenance is invented for them.
    assert (known.source, known.basis, known.received_at) == ("", "", None)


def test_provenance_is_written_with_the_citizens_insert_not_row_by_row(program):
    """The same statements for 2 and for 20 new citizens: provenance costs no query per row."""
    counts = []
    for first, n in ((1, 2), (101, 20)):
        with CaptureQueriesContext(connection) as queries:
            rr_import(kind="applications", source=feed_file(*(row(i) for i in range(first, first + n))))
        counts.append(len([q for q in queries.captured_queries if "enrollment_citizen" in q["sql"]]))
    assert counts[0] == counts[1]
    assert Citizen.objects.filter(source="").count() == 0
