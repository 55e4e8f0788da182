"""The generic feed-import framework: reading CSV/JSON Lines (encodings, BOM, delimiters, limits),
batches in their own transactions, duplicate keys, the error report and the exit codes."""
import csv
import datetime as dt
import io

import pytest

from core.imports import (
    CellError,
    Feed,
    FileUnusable,
    ImportInterrupted,
    RowError,
    bulk_update_values,
    error_report_csv,
    import_data,
    parse_date,
    parse_flag,
    parse_int,
    read_import,
)
from tests.factories import OrganizationFactory
from tests.testapp.models import Widget

COLUMNS = ("code", "name", "size")


def read(text: str | bytes, name: str = "feed.csv", **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return read_import(data, columns=COLUMNS, name=name, **kwargs)


def values(file) -> list[tuple[int, dict, str]]:
    return [(r.number, r.values, r.problem) for r in file.rows()]


# Reading --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "code,name,size\nA1,Альфа,3\n",
    "\ufeffcode;name;size\r\nA1;Альфа;3\r\n",
    "Code\tName\tSize\nA1\tАльфа\t3\n",
    ' "code" ; "name" ; "size"\nA1; Альфа ;3\n',
])
def test_it_reads_csv_with_any_delimiter_bom_case_and_spaces(text):
    file = read(text)
    assert file.format == "csv"
    assert values(file) == [(2, {"code": "A1", "name": "Альфа", "size": "3"}, "")]


def test_it_numbers_rows_as_a_spreadsheet_does_and_skips_blank_rows():
    file = read('code,name,size\nA1,"Две\nстроки",1\n\n,,\nA2,Б,2\n')
    assert [n for n, _, _ in values(file)] == [2, 5]
    assert file.row_count == 2


def test_it_reads_cp1251_which_excel_writes():
    file = read("code;name;size\nA1;Томск;3\n".encode("cp1251"))
    assert file.encoding == "cp1251"
    assert values(file)[0][1]["name"] == "Томск"


def test_a_utf8_file_with_a_line_in_another_encoding_is_marked_when_the_feed_asks():
    data = "\ufeffcode;name;size\nA1;Томск;3\nA2;Омск;4\n".encode() + "A3;Тула;5\n".encode("cp1251")
    marked = read_import(data, columns=COLUMNS, mark_undecodable=True)
    assert (marked.encoding, marked.utf8) == ("utf-8", None)  # not the bytes as they are: they were altered
    assert [v["name"] for _, v, _ in values(marked)] == ["Томск", "Омск", "\ufffd" * 4]
    assert marked.header == ["code", "name", "size"]  # the BOM is gone
    whole = read_import(data.removeprefix("\ufeff".encode()), columns=COLUMNS)  # not asked: read as Windows-1251
    assert whole.encoding == "cp1251"
    clean = read_import(data[:data.index(b"A3")], columns=COLUMNS, mark_undecodable=True)
    assert clean.utf8 == data[:data.index(b"A3")]


def test_it_reads_json_lines_by_extension_or_content():
    text = '{"code": "A1", "name": "Альфа", "size": 3}\n\n{"code": "A2", "name": null, "size": true}\n'
    for name in ("feed.jsonl", "feed.txt"):
        file = read(text, name=name)
        assert file.format == "jsonl"
        assert values(file) == [(1, {"code": "A1", "name": "Альфа", "size": "3"}, ""),
                                (3, {"code": "A2", "name": "", "size": "true"}, "")]


def test_a_broken_json_line_is_that_rows_problem():
    file = read('{"code": "A1", "name": "x", "size": 1}\n{"code": \n[1, 2]\n{"code": {"a": 1}}\n', name="f.jsonl")
    problems = [(n, bool(p)) for n, _, p in values(file)]
    assert problems == [(1, False), (2, True), (3, True), (4, True)]


def test_extra_cells_are_that_rows_problem_and_missing_ones_are_empty():
    file = read("code,name,size\nA1,Б,1,лишнее\nA2\n")
    rows = values(file)
    assert rows[0][2] == "В строке больше значений, чем столбцов в заголовке."
    assert rows[1] == (3, {"code": "A2", "name": "", "size": ""}, "")


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "пуст"),
    (b"  \n\n", "пуст"),
    (b"code,name,size\n", "нет строк с данными"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "не текстовый"),
    ("code,name,size\n1,2,3\n".encode("utf-16"), "UTF-16"),
    (b"code,name,size\n\x98\x98,\xff\xfe\x98,1\n", "UTF-8"),
    (b"code,name\nA1,B\n", "Нет обязательных столбцов: size"),
    (b"code,name,size,colour\nA1,B,1,red\n", "Неизвестные столбцы: colour"),
    (b"code,name,size,name\nA1,B,1,C\n", "Столбцы повторяются: name"),
    (b'{"code": "A1", "name": "x"}\n', "Нет обязательных столбцов: size"),
])
def test_an_unusable_file_is_refused_with_a_clear_reason(data, reason):
    with pytest.raises(FileUnusable, match=reason):
        read(data)


def test_size_and_row_caps_are_checked_before_anything_is_imported():
    with pytest.raises(FileUnusable, match="слишком большой"):
        read("code,name,size\n" + "A,B,1\n" * 100, max_bytes=100)
    with pytest.raises(FileUnusable, match="допустимо не больше 2"):
        read("code,name,size\n" + "A,B,1\n" * 3, max_rows=2)


def test_optional_columns_may_be_absent():
    file = read_import(b"code,name\nA1,B\n", columns=COLUMNS, required=("code",))
    assert values(file) == [(2, {"code": "A1", "name": "B", "size": ""}, "")]


# Cells ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [("1", True), ("Да", True), ("TRUE", True), ("0", False),
                                                 ("нет", False), ("false", False)])
def test_flags(text, expected):
    assert parse_flag(text) is expected


def test_numbers_and_dates():
    assert parse_int("1 024") == 1024
    assert parse_date("2026-03-02") == parse_date("02.03.2026") == dt.date(2026, 3, 2)
    for bad in ("-1", "7.5", "много"):
        with pytest.raises(CellError):
            parse_int(bad)
    for bad in ("2026-02-30", "03/02/2026", ""):
        with pytest.raises(CellError, match="Ожидается дата"):
            parse_date(bad)
    with pytest.raises(CellError, match="не больше 10"):
        parse_int("11", max_value=10)
    with pytest.raises(CellError):
        parse_flag("может быть")


# Running --------------------------------------------------------------------------------------

class WidgetFeed(Feed):
    """Creates a Widget per row; rejects size 0; raises on size 13 (a database failure)."""

    columns = COLUMNS
    key_column = "code"
    outcome_labels = {"created": "создано", "rejected": "отклонено"}

    def __init__(self, organization):
        self.organization = organization
        self.batches = []

    def handle_batch(self, rows, result):
        self.batches.append([r.number for r in rows])
        for row in rows:
            if row.values["size"] == "13":
                raise RuntimeError("database is down")
            if row.values["size"] == "0":
                result.reject(row.number, "size", "Размер должен быть больше нуля.")
                continue
            Widget.objects.create(organization=self.organization)
            result.count("created")


def csv_bytes(sizes) -> bytes:
    return ("code,name,size\n" + "".join(f"W{i},Виджет,{s}\n" for i, s in enumerate(sizes))).encode()


@pytest.mark.django_db
def test_good_rows_are_imported_and_bad_ones_reported_with_exit_code_3():
    feed = WidgetFeed(OrganizationFactory())
    result = import_data(csv_bytes([1, 0, 2, 0]), feed, batch_size=3)
    assert feed.batches == [[2, 3, 4], [5]]
    assert Widget.objects.count() == 2
    assert result.counts == {"created": 2, "rejected": 2}
    assert result.errors == [RowError(3, "size", "Размер должен быть больше нуля."),
                             RowError(5, "size", "Размер должен быть больше нуля.")]
    assert result.exit_code == 3
    assert result.summary(feed.outcome_labels) == "создано: 2, отклонено: 2"


@pytest.mark.django_db
def test_all_good_is_exit_code_0_and_unusable_is_1_with_nothing_written():
    feed = WidgetFeed(OrganizationFactory())
    assert import_data(csv_bytes([1, 2]), feed).exit_code == 0
    unusable = import_data(b"code,name\nW1,x\n", feed)
    assert unusable.exit_code == 1
    assert "size" in unusable.summary({})
    assert Widget.objects.count() == 2


@pytest.mark.django_db
def test_a_repeated_key_is_rejected_across_batches_the_first_one_wins():
    feed = WidgetFeed(OrganizationFactory())
    data = b"code,name,size\nW1,a,1\nW2,b,1\nW1,c,1\n"
    result = import_data(data, feed, batch_size=2)
    assert result.counts == {"created": 2, "rejected": 1}
    assert result.errors[0].row == 4
    assert "уже встречалось в строке 2" in result.errors[0].reason


@pytest.mark.django_db
def test_a_failing_batch_is_rolled_back_whole_and_earlier_batches_stay():
    feed = WidgetFeed(OrganizationFactory())
    with pytest.raises(ImportInterrupted, match="строки 4–5") as caught:
        import_data(csv_bytes([1, 1, 1, 13, 1]), feed, batch_size=2)
    assert Widget.objects.count() == 2  # the batch with row 4 wrote its first row, then was rolled back
    assert caught.value.result.counts == {"created": 2}


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_but_counts_everything():
    feed = WidgetFeed(OrganizationFactory())
    result = import_data(csv_bytes([1, 0, 1]), feed, dry_run=True)
    assert result.counts == {"created": 2, "rejected": 1}
    assert Widget.objects.count() == 0


@pytest.mark.django_db
def test_bulk_update_values_writes_each_object_its_own_values():
    first, second = OrganizationFactory(), OrganizationFactory()
    widgets = [Widget.objects.create(organization=first) for _ in range(5)]
    for i, widget in enumerate(widgets):
        widget.organization = second if i % 2 else first
    bulk_update_values(widgets[1:], ["organization"])
    assert list(Widget.objects.order_by("pk").values_list("organization", flat=True)) == [
        first.pk, second.pk, first.pk, second.pk, first.pk]
    bulk_update_values([], ["organization"])


# The error report -----------------------------------------------------------------------------

def test_the_error_report_is_excel_csv_with_formulas_neutralised():
    payloads = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
    data = error_report_csv([RowError(3, p, p) for p in payloads] + [RowError(2, "name", "Пусто.")])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["Строка", "Столбец", "Причина"]
    assert rows[1] == ["2", "name", "Пусто."]
    assert all(cell.startswith("'") for row in rows[2:] for cell in row[1:])
