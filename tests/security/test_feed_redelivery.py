"""Fault scenario R6 (checklist IMP-01, IMP-02): the same РР or Odin file delivered twice, rows
repeated in overlapping files, older data after newer, and a retransmit after a partial failure.
No duplicate citizens or applications, no repeated e-mails, newer data kept, and every delivery
recorded as an ImportRun (the second identical file as a duplicate with zero changes)."""
import datetime as dt

import pytest
from django.utils import timezone

from core.imports import ImportInterrupted
from core.models import ImportRun, OutgoingEmail
from enrollment.models import Application, ApplicationEvent, Citizen
from enrollment.services import feed as rr_feed
from enrollment.services.feed import rr_import
from programs.models import Program, ProgramEvent
from programs.services.odin import odin_import
from tests import invariants
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.enrollment.test_feed_applications import feed_file, invitations, row
from tests.programs.factories import CohortFactory, ProgramFactory
from tests.programs.test_odin_programs import COLUMNS as ODIN_COLUMNS
from tests.programs.test_odin_programs import program_row

pytestmark = pytest.mark.django_db

S = Application.Status


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1", title="Сварщик ручной дуговой сварки")
    CohortFactory(program=program, odin_id="c-1")
    CohortFactory(program=program, odin_id="c-2")
    return program


def world() -> dict[str, int]:
    """What a delivery can change, counted."""
    return {"applications": Application.objects.count(), "citizens": Citizen.objects.count(),
            "history": ApplicationEvent.objects.count(), "outbox": OutgoingEmail.objects.count()}


def r6(check: str, ok: bool) -> None:
    invariants.report(f"R6 invariant: {check}: {'ok' if ok else 'VIOLATED'}")
    assert ok, check


# The same file twice --------------------------------------------------------------------------

def test_the_same_applications_file_twice_is_a_recorded_duplicate_that_changes_nothing(program):
    data = feed_file(row(1), row(2), row(3, snils=valid_snils(1), email="c1@example.org",
                                         submitted="2026-02-11T12:00:00+07:00"))
    first = rr_import(kind="applications", source=data, name="rr_2026-02-11.csv", initiator="manage.py (cron)")
    assert (first.exit_code, first.counts["created"], first.counts["invitations"]) == (0, 3, 2)
    before = world()

    again = rr_import(kind="applications", source=data, name="rr_2026-02-11 (1).csv", initiator="manage.py (cron)")

    r6("same file twice: nothing written, no e-mail", world() == before)
    assert (again.exit_code, dict(again.counts)) == (0, {"unchanged": 3})
    assert again.duplicate_of == first.run_id
    assert again.notes[0].startswith(f"Этот файл уже импортирован (загрузка № {first.run_id}, ")
    original, duplicate = ImportRun.objects.order_by("pk")
    assert (original.status, original.source, original.kind, original.created, original.sha256) == (
        ImportRun.Status.COMPLETED, "rr", "applications", 3, first.sha256)
    assert (duplicate.status, duplicate.duplicate_of, duplicate.sha256, duplicate.created, duplicate.unchanged) == (
        ImportRun.Status.DUPLICATE, original, first.sha256, 0, 3)
    assert (duplicate.file_name, duplicate.initiator_label) == ("rr_2026-02-11 (1).csv", "manage.py (cron)")


def test_the_same_events_and_odin_files_twice_are_duplicates_too(program, partner_a):
    ApplicationFactory(rr_number="РР-1", status=S.AWAITING_AGREEMENT, program=program)
    events = b"rr_number,event,occurred_at,details\n\xd0\xa0\xd0\xa0-1,agreement_signed,2026-03-10T12:00:00+07:00,\n"
    assert rr_import(kind="events", source=events).counts["updated"] == 1
    history = ApplicationEvent.objects.count()
    again = rr_import(kind="events", source=events)
    r6("events file twice: no second transition", ApplicationEvent.objects.count() == history)
    assert again.duplicate_of is not None

    odin = ("\n".join([",".join(ODIN_COLUMNS), ",".join(program_row(partner_a, "p-9").values())]) + "\n").encode()
    assert odin_import(kind="programs", source=odin).counts["created"] == 1
    programs, program_history = Program.objects.count(), ProgramEvent.objects.count()
    again = odin_import(kind="programs", source=odin)
    r6("Odin file twice: nothing written",
       (Program.objects.count(), ProgramEvent.objects.count()) == (programs, program_history))
    assert (again.duplicate_of, dict(again.counts)) == (ImportRun.objects.get(source="odin", status="completed").pk,
                                                        {"unchanged": 1})


def test_a_file_with_rejected_rows_is_processed_again_and_its_fixed_rows_pass(program):
    """A refused row may pass later (its program loaded meanwhile): such a file is not a duplicate."""
    data = feed_file(row(1), row(2, program="p-2", cohort=""))
    first = rr_import(kind="applications", source=data)
    assert (first.exit_code, first.counts["created"]) == (3, 1)
    ProgramFactory(odin_id="p-2")
    again = rr_import(kind="applications", source=data)
    assert again.duplicate_of is None
    assert (again.exit_code, again.counts["created"], again.counts["unchanged"]) == (0, 1, 1)
    r6("re-sent file with fixed rows: one invitation per new application",
       invitations().count() == 2 and Application.objects.count() == 2)
    assert list(ImportRun.objects.order_by("pk").values_list("status", flat=True)) == [
        ImportRun.Status.COMPLETED_WITH_ERRORS, ImportRun.Status.COMPLETED]


def test_the_outcome_of_a_row_does_not_depend_on_what_else_the_file_holds(program):
    """Found by the Hypothesis property: a known citizen's row with a new e-mail made a later row
    of another person with that e-mail be refused, yet the same file again accepted it (and sent
    an invitation). The known citizen keeps Flow's e-mail, so the other row is accepted at once."""
    CitizenFactory(snils=valid_snils(1), email="known@example.org")
    data = feed_file(row(1, snils=valid_snils(1), email="new@example.org"),
                     row(2, snils=valid_snils(2), email="new@example.org"))
    first = rr_import(kind="applications", source=data)
    assert (first.exit_code, first.counts["created"]) == (0, 2), first.errors
    assert Citizen.objects.get(snils=valid_snils(1)).email == "known@example.org"
    before = world()
    rr_import(kind="applications", source=data)
    r6("a file's second delivery has the first one's outcome", world() == before)


# Overlapping files and order ------------------------------------------------------------------

def test_overlapping_files_upsert_without_duplicates_or_second_invitations(program):
    rr_import(kind="applications", source=feed_file(row(1), row(2)))
    result = rr_import(kind="applications", source=feed_file(row(2), row(3)))
    assert (result.counts["created"], result.counts["unchanged"]) == (1, 1)
    r6("overlapping files: one application per РР number, one invitation per citizen",
       Application.objects.count() == 3 and Citizen.objects.count() == 3 and invitations().count() == 3)
    assert ApplicationEvent.objects.filter(transition="import").count() == 3


def test_an_older_application_delivered_after_a_newer_one_stays_inactive(program):
    snils = valid_snils(7)
    rr_import(kind="applications", source=feed_file(row(2, snils=snils, submitted="2026-03-01T10:00:00+03:00")))
    rr_import(kind="applications", source=feed_file(row(1, snils=snils, submitted="2026-02-01T10:00:00+03:00")))
    active = Application.objects.filter(is_active=True).values_list("rr_number", flat=True)
    r6("older application after a newer one: the newer stays active", list(active) == ["РР-2026-000002"])


def test_older_events_delivered_after_newer_ones_do_not_overwrite_them(program):
    application = ApplicationFactory(rr_number="РР-1", status=S.ENROLMENT_DOCS_REVIEW, program=program)
    header = "rr_number,event,occurred_at,details\n"
    rr_import(kind="events", source=(header + "РР-1,agreement_signed,2026-03-12T09:00:00+03:00,\n").encode())
    rr_import(kind="events", source=(header + "РР-1,agreement_signed,2026-03-10T09:00:00+03:00,\n").encode())
    application.refresh_from_db()
    r6("an older agreement time never replaces the recorded one",
       application.agreement_signed_at == dt.datetime(2026, 3, 12, 6, tzinfo=dt.UTC))

    rr_import(kind="events", source=(header + "РР-1,service_terminated,2026-03-20T09:00:00+03:00,Отказ\n").encode())
    late = rr_import(kind="events", source=(header + "РР-1,agreement_signed,2026-03-11T09:00:00+03:00,\n").encode())
    application.refresh_from_db()
    r6("a late event cannot reopen a terminated application", application.status == S.SERVICE_TERMINATED)
    assert late.counts["unchanged"] == 1


def test_an_older_update_of_a_known_application_does_not_revert_a_newer_one(program):
    rr_import(kind="applications", source=feed_file(row(1)))
    newer = feed_file(row(1, cohort="c-2", changed="2026-02-12T09:00:00+03:00"), versioned=True)
    # Generated before `newer`, delivered after it (a delayed export); its other data differ too.
    older = feed_file(row(1, cohort="c-1", phone="+7 913 555-00-01", changed="2026-02-11T09:00:00+03:00"),
                      versioned=True)
    assert rr_import(kind="applications", source=newer).counts["updated"] == 1
    history = ApplicationEvent.objects.count()

    late = rr_import(kind="applications", source=older)

    application = Application.objects.select_related("cohort").get()
    r6("an older version of a known application never replaces a newer one",
       application.cohort.odin_id == "c-2" and ApplicationEvent.objects.count() == history)
    assert application.rr_changed_at == dt.datetime(2026, 2, 12, 6, tzinfo=dt.UTC)
    assert (late.exit_code, dict(late.counts)) == (0, {"unchanged": 1, "stale": 1})
    assert "из них устаревшая версия (не применена): 1" in late.summary(
        rr_feed.ApplicationFeed.outcome_labels, rr_feed.ApplicationFeed.extra_outcome_labels)


def test_a_row_without_changed_at_is_dated_by_its_filing_and_is_stale_after_a_later_change(program):
    """Older РР exports have no `changed_at`: such a row is the version of the filing moment."""
    rr_import(kind="applications", source=feed_file(row(1, changed="2026-02-12T09:00:00+03:00"), versioned=True))
    late = rr_import(kind="applications", source=feed_file(row(1, cohort="c-2", category="")))
    application = Application.objects.select_related("cohort").get()
    r6("a row without changed_at does not revert a version changed after the filing",
       (application.cohort.odin_id, application.category_id) == ("c-1", "unemployed"))
    assert late.counts["stale"] == 1


def test_a_newer_version_without_visible_changes_still_moves_the_moment_on(program):
    """v1 (filed) → v3 (same data, later) → v2 (cohort c-2, between them) delivered last: v2 is
    older than what Flow holds, although v3 changed nothing one can see."""
    rr_import(kind="applications", source=feed_file(row(1)))
    v3 = rr_import(kind="applications", source=feed_file(row(1, changed="2026-02-14T09:00:00+03:00"),
                                                         versioned=True))
    assert dict(v3.counts) == {"unchanged": 1}
    assert not ApplicationEvent.objects.filter(transition="rr_update").exists()  # nothing to show in history
    v2 = rr_import(kind="applications", source=feed_file(row(1, cohort="c-2", changed="2026-02-13T09:00:00+03:00"),
                                                         versioned=True))
    application = Application.objects.select_related("cohort").get()
    r6("a version between two delivered ones, arriving last, is refused",
       application.cohort.odin_id == "c-1" and v2.counts["stale"] == 1)


def test_a_newer_version_of_an_application_imported_before_versions_were_kept_is_applied(program):
    """Applications imported before `rr_changed_at` existed have no moment: any version applies,
    and from then on its moment is kept."""
    application = ApplicationFactory(rr_number="РР-2026-000001", program=program,
                                     cohort=program.cohorts.get(odin_id="c-1"),
                                     citizen=CitizenFactory(snils=valid_snils(1), email="c1@example.org"))
    assert application.rr_changed_at is None
    rr_import(kind="applications", source=feed_file(row(1, cohort="c-2", changed="2026-02-12T09:00:00+03:00"),
                                                    versioned=True))
    older = rr_import(kind="applications", source=feed_file(row(1, cohort="c-1")))
    application.refresh_from_db()
    r6("the first versioned update of a legacy application sets the moment that later rows compare with",
       application.cohort.odin_id == "c-2" and older.counts["stale"] == 1)
    assert application.rr_changed_at == dt.datetime(2026, 2, 12, 6, tzinfo=dt.UTC)


def test_the_same_moment_is_not_stale_and_a_stale_file_again_is_a_duplicate_that_says_so(program):
    rr_import(kind="applications", source=feed_file(row(1, changed="2026-02-12T09:00:00+03:00"), versioned=True))
    same = rr_import(kind="applications", source=feed_file(
        row(1, cohort="c-2", changed="2026-02-12T09:00:00+03:00"), versioned=True))
    assert dict(same.counts) == {"updated": 1}  # one version, corrected by РР: applied
    stale = feed_file(row(1, cohort="c-1", changed="2026-02-11T09:00:00+03:00"), versioned=True)
    first = rr_import(kind="applications", source=stale)
    again = rr_import(kind="applications", source=stale)
    assert again.duplicate_of == first.run_id
    assert dict(again.counts) == dict(first.counts) == {"unchanged": 1, "stale": 1}
    r6("a stale version delivered twice changes nothing",
       Application.objects.select_related("cohort").get().cohort.odin_id == "c-2")


# A retransmit after a partial failure ---------------------------------------------------------

def test_a_retransmit_after_a_failed_batch_completes_without_duplicates_or_repeated_mail(program, monkeypatch):
    data = feed_file(row(1), row(2), row(3))
    original_write = rr_feed.ApplicationFeed._write
    calls = []

    def failing_write(self, batch, result):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original_write(self, batch, result)

    monkeypatch.setattr(rr_feed.ApplicationFeed, "_write", failing_write)
    with pytest.raises(ImportInterrupted) as interrupted:
        rr_import(kind="applications", source=data, batch_size=1)
    run = ImportRun.objects.get()
    assert (run.status, run.created, interrupted.value.result.run_id) == (ImportRun.Status.INTERRUPTED, 1, run.pk)
    assert "Не удалось записать строки 3–3" in run.message
    r6("failed batch: nothing of it remains, the batch before it stays",
       list(Application.objects.values_list("rr_number", flat=True)) == ["РР-2026-000001"]
       and invitations().count() == 1)

    monkeypatch.setattr(rr_feed.ApplicationFeed, "_write", original_write)
    again = rr_import(kind="applications", source=data, batch_size=1)
    assert again.duplicate_of is None  # an interrupted run does not make the file a duplicate
    assert (again.counts["created"], again.counts["unchanged"]) == (2, 1)
    r6("retransmit after a partial failure: each application once, each citizen invited once",
       Application.objects.count() == 3 and invitations().count() == 3
       and sorted(invitations().values_list("to", flat=True)) == [f"c{n}@example.org" for n in (1, 2, 3)])


def test_a_file_being_imported_right_now_is_a_duplicate_until_its_run_goes_stale(program):
    data = feed_file(row(1))
    import hashlib

    running = ImportRun.objects.create(source="rr", kind="applications", sha256=hashlib.sha256(data).hexdigest())
    result = rr_import(kind="applications", source=data)
    assert result.duplicate_of == running.pk
    assert "сейчас загружается" in result.notes[0]
    r6("a concurrent second delivery writes nothing", Application.objects.count() == 0)

    ImportRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - dt.timedelta(hours=7))
    result = rr_import(kind="applications", source=data)
    assert (result.duplicate_of, result.counts["created"]) == (None, 1)
    running.refresh_from_db()
    assert running.status == ImportRun.Status.INTERRUPTED
