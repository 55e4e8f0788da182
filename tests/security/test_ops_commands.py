"""Ops commands over personal data say who ran them and print none of it (ADM-05).

Each command writes one audit event before it runs (OS user, ticket, arguments); what it prints
to the terminal — counts and row-error reasons — has e-mails and long numbers masked.
"""
import contextlib
import getpass

import pytest
from django.core.management import call_command

from privacy.models import AuditEvent
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HEADER = ("rr_number,submitted_at,last_name,first_name,middle_name,birth_date,snils,email,phone,region_code,"
          "program_odin_id,cohort_odin_id,category\n")
# A row whose SNILS fails its check digits and one whose e-mail is malformed: the reasons quote them.
ROWS = ("РР-2026-900001,2026-01-12T10:15:00+07:00,Иванова,Мария,Сергеевна,14.03.1988,112-233-445 96,"
        "secret.person@example.ru,+7 913 555-01-01,70,prog-sec,cohort-sec,unemployed\n"
        "РР-2026-900002,2026-01-12T10:15:00+07:00,Петров,Пётр,,14.03.1988,112-233-445 95,"
        "not-an-email@@example.ru,+7 913 555-01-02,70,prog-sec,cohort-sec,unemployed\n")
PERSONAL = ("11223344596", "112-233-445 96", "secret.person@example.ru", "not-an-email@@example.ru", "+7 913 555-01-02")


@pytest.fixture
def feed_file(tmp_path):
    program = ProgramFactory(odin_id="prog-sec")
    CohortFactory(program=program, odin_id="cohort-sec")
    path = tmp_path / "rr.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def test_an_import_is_audited_with_its_os_user_and_ticket_and_prints_no_personal_data(feed_file, capsys):
    with pytest.raises(SystemExit):  # exit code 3: rows rejected
        call_command("import_applications", str(feed_file), ticket="OPS-1234")
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.COMMAND)
    assert event.object_id == "import_applications"
    assert event.details["os_user"] == getpass.getuser()
    assert event.details["ticket"] == "OPS-1234"
    printed = capsys.readouterr()
    assert "строка 2" in printed.err  # the reasons are there, masked
    assert "строка 3" in printed.err
    for value in PERSONAL:
        assert value not in printed.out + printed.err, value


@pytest.mark.parametrize(("command", "args"), [
    ("import_rr_events", ["missing.csv"]),
    ("import_odin", ["programs", "missing.csv"]),
    ("run_automatic_orders", ["--dry-run"]),
    ("destroy_expired_personal_data", ["--dry-run"]),
])
def test_every_personal_data_command_is_audited(command, args, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOW_TICKET", "OPS-77")
    with contextlib.suppress(SystemExit, Exception):  # a missing file is refused after the audit: it counts too
        call_command(command, *args)
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.COMMAND, object_id=command)
    assert event.details["ticket"] == "OPS-77"
    assert event.details["os_user"]
