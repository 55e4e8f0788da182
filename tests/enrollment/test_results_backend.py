"""Odin training results reach applications through the backend EnrollmentConfig.ready()
registers (reference §2.1.1 rows 14–15)."""
import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Application
from enrollment.services.results import results_lookup
from programs.services import odin
from programs.services.odin import odin_import
from tests.enrollment.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

S = Application.Status
FILE = ("rr_number,result,date\n"
        "РР-1,успешно,2026-04-29\n"
        "РР-2,неуспешно,29.04.2026\n"
        "РР-3,успешно,2026-04-29\n"
        "РР-404,успешно,2026-04-29\n").encode()


def test_the_applications_app_is_the_registered_backend():
    assert odin._results_backend["lookup"] is results_lookup


def test_results_move_applications_in_training_and_are_kept_on_the_others():
    success = ApplicationFactory(rr_number="РР-1", status=S.STUDYING)
    failure = ApplicationFactory(rr_number="РР-2", status=S.STUDYING)
    waiting = ApplicationFactory(rr_number="РР-3", status=S.ENROLMENT_ORDER_REQUIRED)
    result = odin_import(kind="results", source=FILE)
    assert [(e.row, e.reason) for e in result.errors] == [(5, "Заявка РР-404 не найдена.")]
    assert (result.counts["updated"], result.exit_code) == (3, 3)
    for application in (success, failure, waiting):
        application.refresh_from_db()
    assert (success.status, success.result, success.result_date) == (
        S.COMPLETION_ORDER_REQUIRED, "successful", dt.date(2026, 4, 29))
    assert (failure.status, failure.result) == (S.FAILURE_ORDER_REQUIRED, "unsuccessful")
    assert (waiting.status, waiting.result, waiting.result_date) == (
        S.ENROLMENT_ORDER_REQUIRED, "successful", dt.date(2026, 4, 29))
    event = success.events.get()
    assert (event.transition, event.actor, event.comment) == (
        "record_completion", None, "Результат обучения из Odin: успешно, 29.04.2026.")
    assert failure.events.get().transition == "record_failure"
    assert not waiting.events.exists()
    assert result.notes == ["Результат сохранён, статус не изменён — заявки не в статусе «Обучение» (1): РР-3"]


def test_a_result_delivered_again_changes_nothing():
    application = ApplicationFactory(rr_number="РР-1", status=S.STUDYING)
    odin_import(kind="results", source=FILE)
    again = odin_import(kind="results", source=FILE)
    assert again.counts["unchanged"] == 1
    assert again.counts["updated"] == 0
    application.refresh_from_db()
    assert application.status == S.COMPLETION_ORDER_REQUIRED
    assert application.events.count() == 1


def test_the_lookup_is_one_query_per_batch():
    ApplicationFactory(rr_number="РР-1")
    with CaptureQueriesContext(connection) as queries:
        found = results_lookup({"РР-1", "РР-2", "РР-3"})
    assert list(found) == ["РР-1"]
    assert len(queries) == 1


def test_the_odin_results_sample_names_the_sample_applications(db):
    samples = Path(settings.BASE_DIR) / "docs" / "samples"
    call_command("seed_demo", stdout=io.StringIO())
    call_command("import_applications", str(samples / "rr_applications.csv"), stdout=io.StringIO())
    result = odin_import(kind="results", source=samples / "odin_results.csv")
    assert (result.exit_code, result.counts["updated"]) == (0, 4)
    assert result.notes[0].endswith("(4): РР-2026-000001, РР-2026-000002, РР-2026-000003, РР-2026-000004")
