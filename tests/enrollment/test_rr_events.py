"""`manage.py import_rr_events`: the agreement signed (reference §2.1.1 row 9), the service
terminated (row 21) and employment (row 20) from Работа России; idempotent."""
import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django_fsm import can_proceed

from accounts.demo import seed_accounts
from enrollment.models import Application, ApplicationEvent
from enrollment.services.feed import rr_import
from programs.demo import seed_programs
from tests.enrollment.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

S = Application.Status
WHEN = "2026-03-10T12:00:00+07:00"
MOMENT = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)


def events_file(*rows: tuple[str, ...]) -> bytes:
    return ("rr_number,event,occurred_at,details\n" + "".join(",".join(r) + "\n" for r in rows)).encode()


def apply(*rows):
    return rr_import(kind="events", source=events_file(*rows))


def make(status, **kwargs) -> Application:
    return ApplicationFactory(rr_number="РР-1", status=status, **kwargs)


def test_the_agreement_moves_an_application_awaiting_it_to_the_enrolment_order():
    application = make(S.AWAITING_AGREEMENT)
    result = apply(("РР-1", "agreement_signed", WHEN, ""))
    assert (result.exit_code, result.counts["updated"]) == (0, 1)
    application.refresh_from_db()
    assert (application.status, application.agreement_signed_at) == (S.ENROLMENT_ORDER_REQUIRED, MOMENT)
    event = application.events.get()
    assert (event.transition, event.source, event.target, event.actor) == (
        "sign_agreement", S.AWAITING_AGREEMENT, S.ENROLMENT_ORDER_REQUIRED, None)


def test_an_agreement_before_the_documents_are_approved_is_only_recorded():
    application = make(S.ENROLMENT_DOCS_REVIEW)
    apply(("РР-1", "agreement_signed", WHEN, "Подписан всеми сторонами"))
    application.refresh_from_db()
    assert (application.status, application.agreement_signed_at) == (S.ENROLMENT_DOCS_REVIEW, MOMENT)
    assert application.events.get().comment == "Подписан всеми сторонами"
    # the approval of the enrolment documents then goes straight to the order
    assert can_proceed(application.approve_enrolment_docs_signed)
    assert not can_proceed(application.approve_enrolment_docs)


def test_an_event_already_applied_changes_nothing():
    signed, terminated = make(S.AWAITING_AGREEMENT), ApplicationFactory(rr_number="РР-2", status=S.STUDYING)
    employed = ApplicationFactory(rr_number="РР-3", status=S.AWAITING_EMPLOYMENT)
    rows = [("РР-1", "agreement_signed", WHEN, ""), ("РР-2", "service_terminated", WHEN, "Отозвана на РР"),
            ("РР-3", "employed", WHEN, "")]
    assert apply(*rows).counts["updated"] == 3
    before = ApplicationEvent.objects.count()
    again = apply(*[(n, e, "2026-03-11T09:00:00+03:00", d) for n, e, _w, d in rows])
    assert (again.exit_code, dict(again.counts)) == (0, {"unchanged": 3})
    assert ApplicationEvent.objects.count() == before
    for application in (signed, terminated, employed):
        application.refresh_from_db()
        assert MOMENT in (application.agreement_signed_at, application.terminated_at, application.employed_at)


@pytest.mark.parametrize("status", [S.PRIMARY_DOCS_REQUIRED, S.ENROLMENT_ORDER_REQUIRED, S.STUDYING,
                                    S.AWAITING_EMPLOYMENT])
def test_the_service_is_terminated_from_any_status_before_the_end(status):
    application = make(status)
    apply(("РР-1", "service_terminated", WHEN, "Гражданин отозвал заявку"))
    application.refresh_from_db()
    assert (application.status, application.terminated_at, application.termination_reason, application.is_active) == (
        S.SERVICE_TERMINATED, MOMENT, "Гражданин отозвал заявку", False)
    assert application.events.get().transition == "terminate_service"


@pytest.mark.parametrize("status", [S.EXPELLED, S.EMPLOYED])
def test_a_final_application_refuses_termination(status):
    make(status)
    result = apply(("РР-1", "service_terminated", WHEN, ""))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "event", f"Заявка РР-1 уже в финальном статусе «{S(status).label}».")]


def test_employment_needs_the_status_awaiting_it():
    application = make(S.AWAITING_EMPLOYMENT)
    ApplicationFactory(rr_number="РР-2", status=S.STUDYING)
    result = apply(("РР-1", "employed", WHEN, ""), ("РР-2", "employed", WHEN, ""))
    application.refresh_from_db()
    assert (application.status, application.employed_at) == (S.EMPLOYED, MOMENT)
    assert [(e.row, e.reason) for e in result.errors] == [
        (3, "Трудоустройство принимается в статусе «Ожидаем трудоустройства с РР», "
            "а заявка РР-2 в статусе «Обучение».")]


def test_events_of_one_application_in_one_file_apply_in_order():
    application = make(S.AWAITING_AGREEMENT)
    result = apply(("РР-1", "agreement_signed", WHEN, ""), ("РР-1", "service_terminated", WHEN, "Отказ ЦЗН"),
                   ("РР-1", "agreement_signed", WHEN, ""))
    assert dict(result.counts) == {"updated": 2, "unchanged": 1}
    application.refresh_from_db()
    assert (application.status, application.agreement_signed_at) == (S.SERVICE_TERMINATED, MOMENT)
    assert list(application.events.order_by("pk").values_list("transition", flat=True)) == [
        "sign_agreement", "terminate_service"]


def test_bad_rows_are_reported():
    make(S.STUDYING)
    result = apply(("РР-404", "employed", WHEN, ""), ("РР-1", "hired", WHEN, ""),
                   ("РР-1", "service_terminated", "2026-03-10 12:00", ""), ("", "employed", WHEN, ""))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "rr_number"), (3, "event"), (4, "occurred_at"), (5, "rr_number")]
    assert result.errors[0].reason == "Заявка РР-404 не найдена."
    assert result.errors[1].reason.startswith("Неизвестное событие «hired»")
    assert result.exit_code == 3


def test_the_sample_events_import_after_the_sample_applications(db):
    samples = Path(settings.BASE_DIR) / "docs" / "samples"
    seed_accounts()  # seed_demo's world before its own РР step, which imports these samples
    seed_programs()
    call_command("import_applications", str(samples / "rr_applications.csv"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_rr_events", str(samples / "rr_events.csv"), stdout=out, stderr=io.StringIO())
    assert "применено: 5" in out.getvalue()
    assert Application.objects.get(rr_number="РР-2026-000009").status == S.SERVICE_TERMINATED
    assert Application.objects.get(rr_number="РР-2026-000001").agreement_signed_at is not None
    again = io.StringIO()
    call_command("import_rr_events", str(samples / "rr_events.csv"), stdout=again, stderr=io.StringIO())
    assert "применено: 0, без изменений: 5, отклонено: 0" in again.getvalue()


def test_an_unusable_events_file_exits_with_1(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("rr_number,event\nРР-1,employed\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_rr_events", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_info.value.code == 1
