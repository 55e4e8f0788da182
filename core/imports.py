"""Feed imports: CSV or JSON Lines files read into rows, processed in batches, one transaction
per batch, with a row-level error report. No domain words here: a feed (Odin programs, the
Работа России applications) subclasses `Feed` and says what its columns are and what a batch does.

    class WidgetFeed(Feed):
        columns = ("external_id", "name", "size")
        key_column = "external_id"              # a second occurrence in one file is rejected

        def handle_batch(self, rows, result):
            for row in rows:
                try:
                    size = parse_int(row.values["size"])
                except CellError as exc:
                    result.reject(row.number, "size", str(exc))
                    continue
                ...                             # look up per batch, bulk_create/bulk_update
                result.count("created")

    result = import_data(path.read_bytes(), WidgetFeed(), name=path.name)
    write_error_report(result.errors, path.with_suffix(".errors.csv"))
    sys.exit(result.exit_code)                  # 0 all good, 3 some rows rejected, 1 file unusable

Safety (security checklist, IMP): size and row caps, binary and undecodable input rejected
before anything is written, plain `csv`/`json` parsers only, formula-leading cells escaped in
the error report.
"""
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connections, models, router, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.collector import cyclic_gc_paused
from core.exports import FORMULA_PREFIXES

logger = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_JSON_LINE = 1024 * 1024
# A cell longer than this is the row's problem (no column of any feed holds more than a few
# thousand characters); the row is rejected, the rest of the file imported.
MAX_CELL = 64 * 1024
# The csv module refuses a field over 128 KiB by raising mid-file, which would make one oversized
# cell sink the whole file. Flow reads only files up to MAX_BYTES (memory is bounded by that cap),
# so the parser may take any field that fits, and MAX_CELL rejects the row instead.
csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
BATCH_SIZE = 1000
# Tried in order; cp1251 is what Excel on Russian Windows writes when asked for plain "CSV".
ENCODINGS = ("utf-8", "cp1251")
DELIMITERS = (",", ";", "\t")
JSONL_EXTENSIONS = (".jsonl", ".ndjson")

EXIT_OK = 0
EXIT_UNUSABLE = 1
EXIT_REJECTED = 3


class FileUnusable(Exception):
    """The file as a whole cannot be imported (not text, empty, wrong columns, too big):
    nothing is written. The message is for the person who sent the file."""


class CellError(ValueError):
    """A cell's value cannot be parsed; the message says why, in Russian."""


class ImportInterrupted(Exception):
    """A batch failed to write (a database error): that batch was rolled back, earlier batches
    stay committed. Imports are idempotent, so running the same file again is safe."""

    def __init__(self, first_row: int, last_row: int, result: "ImportResult", cause: BaseException):
        super().__init__(_("Не удалось записать строки %(first)d–%(last)d: %(cause)s")
                         % {"first": first_row, "last": last_row, "cause": cause})
        self.first_row, self.last_row, self.result, self.cause = first_row, last_row, result, cause


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in one row: the row number as a spreadsheet shows it (the header is row 1;
    in JSON Lines, the line number), the column, and the reason in Russian."""

    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class Row:
    """A data row: column → stripped text ("" when empty or absent). `problem` is set when the
    row itself is malformed (broken JSON, more cells than columns); such rows never reach a feed."""

    number: int
    values: dict[str, str]
    problem: str = ""
    problem_column: str = ""
    # The row's fingerprint: its cells as written, under this file's header (`_digest`). A feed may
    # store it with what it applied and recognise the row in a later file (`Feed.settled`). None in
    # JSON Lines.
    digest: int | None = None


@dataclass
class ImportResult:
    """Outcome counts ("created", "updated", …, and "rejected" = rows with at least one error),
    the errors, free-form notes for the summary, and the exit code."""

    counts: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unusable: str = ""
    rows: int = 0
    sha256: str = ""
    # The ImportRun that recorded this result, and the earlier run it repeats (a duplicate file).
    run_id: int | None = None
    duplicate_of: int | None = None
    _rejected_rows: set = field(default_factory=set, repr=False)

    def count(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    def reject(self, row: int, column: str, reason: str) -> None:
        self.errors.append(RowError(row, column, str(reason)))
        if row not in self._rejected_rows:
            self._rejected_rows.add(row)
            self.counts["rejected"] += 1

    def merge(self, other: "ImportResult") -> None:
        self.counts.update(other.counts)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self._rejected_rows |= other._rejected_rows

    @property
    def exit_code(self) -> int:
        if self.unusable:
            return EXIT_UNUSABLE
        return EXIT_REJECTED if self.errors else EXIT_OK

    def summary(self, labels: dict[str, str], extra: dict[str, str] | None = None) -> str:
        """"создано: 3, обновлено: 0, …" in the order of `labels` (outcome → Russian label), then
        the `extra` outcomes that happened."""
        if self.unusable:
            return _("файл не принят: %(reason)s") % {"reason": self.unusable}
        shown = [*labels.items(), *((o, label) for o, label in (extra or {}).items() if self.counts[o])]
        return ", ".join(f"{label}: {self.counts[outcome]}" for outcome, label in shown)


class Feed:
    """One kind of feed file. Subclasses set the columns and implement `handle_batch`, which
    runs inside the batch's transaction and reports through `result` (count / reject). An
    instance lives for one file, so it may cache lookups across batches."""

    columns: tuple[str, ...] = ()
    # Columns the header must have; None means all of `columns`.
    required_columns: tuple[str, ...] | None = None
    # Rows repeating this column's value are rejected (the first occurrence wins).
    key_column: str | None = None
    # Outcome → label, in the order the summary prints them; the extra ones only when they happened.
    outcome_labels: dict[str, str] = {}
    extra_outcome_labels: dict[str, str] = {}
    # Extra outcomes that are per-row and say the same thing when the file comes again (skipped rows);
    # a duplicate file reports them as they were, and every other applied row as unchanged.
    repeatable_outcomes: tuple[str, ...] = ()
    # A UTF-8 file with a few lines in another encoding (a hand edit in a cp1251 editor) is read with
    # the bad bytes as U+FFFD, so that the feed can reject those rows alone; otherwise such a file is
    # read in the next encoding (Windows-1251) whole. A file mostly not UTF-8 is read that way anyway.
    marks_undecodable: bool = False

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        raise NotImplementedError

    def settled(self, digests: dict[str, int]) -> set[str]:
        """Of `digests` (a `key_column` value → the digest of its row, for keys the file has once),
        the keys whose row is the version this feed applied last, nothing changed since. Those rows
        are counted as unchanged and never parsed: a re-delivered file costs a read and a look-up,
        not a validation of every row. By default none (every row is handled)."""
        return set()


# Reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportFile:
    """A decoded, checked file. `rows()` parses lazily, so memory holds the text, not the rows."""

    name: str
    format: str  # "csv" or "jsonl"
    encoding: str
    delimiter: str
    columns: tuple[str, ...]  # every known column: a row has them all ("" when absent)
    present: tuple[str, ...]  # the columns the file has
    row_count: int
    sha256: str
    text: str = field(repr=False)
    # A CSV with no quoted cell whose lines end in \n or \r\n: a record is then a line split on the
    # delimiter, exactly what `csv` reads, at a third of the cost.
    plain: bool = False
    # The bytes `text` was decoded from when they are its UTF-8 (a BOM aside): the fingerprints read
    # them as they are, not the text encoded again.
    utf8: bytes | None = field(default=None, repr=False)

    def rows(self, skip: frozenset[int] = frozenset()) -> Iterator[Row]:
        """The data rows, except those numbered in `skip`."""
        return _csv_rows(self, skip) if self.format == "csv" else _jsonl_rows(self, skip)


    @functools.cached_property
    def header(self) -> list[str]:
        """The header's cells as written."""
        if self.plain:
            return _plain_header(self.text, self.delimiter)
        return next(_csv_reader(self.text, self.delimiter), [])

    @functools.cached_property
    def hasher(self):
        """The digests' hash, keyed by the header: the same cells under another header are another row."""
        key = hashlib.blake2b(_UNIT.join(self.header).encode(), digest_size=32).digest()
        return hashlib.blake2b(digest_size=8, key=key)


def read_import_path(path: str | Path, *, max_bytes: int = MAX_BYTES, **kwargs) -> ImportFile:
    """`read_import` for a file on disk; the size cap is checked before the file is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileUnusable(_("Файл %(name)s не открывается: %(error)s") % {"name": path, "error": exc.strerror}) \
            from None
    if size > max_bytes:
        raise FileUnusable(_too_big(size, max_bytes))
    return read_import(path.read_bytes(), name=path.name, max_bytes=max_bytes, **kwargs)


def read_import(data: bytes, *, columns: Sequence[str], required: Sequence[str] | None = None, name: str = "",
                max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS,
                encodings: Sequence[str] = ENCODINGS, mark_undecodable: bool = False) -> ImportFile:
    """Decode and check a CSV (header row; `,` `;` or tab, sniffed from the header) or JSON Lines
    file (by extension, or content starting with `{`). Raises FileUnusable for a file that is
    too big, binary, undecodable, empty, or whose columns are unknown or miss required ones.
    `mark_undecodable`: see Feed.marks_undecodable."""
    if len(data) > max_bytes:
        raise FileUnusable(_too_big(len(data), max_bytes))
    text, encoding, marked = _decode(data, encodings, mark_undecodable)
    if not text.strip():
        raise FileUnusable(_("Файл пуст."))
    known = tuple(columns)
    required = tuple(known if required is None else required)
    is_jsonl = name.lower().endswith(JSONL_EXTENSIONS) or text.lstrip().startswith("{")
    plain = not is_jsonl and _is_plain(data)
    if is_jsonl:
        found, row_count, delimiter = _scan_jsonl(text), None, ""
    else:
        delimiter = _sniff_delimiter(text)
        found, row_count = _scan_csv(text, delimiter, plain)
    unknown = [c for c in found if c not in known]
    if unknown:
        raise FileUnusable(_("Неизвестные столбцы: %(columns)s. Ожидаются: %(expected)s.")
                           % {"columns": ", ".join(unknown), "expected": ", ".join(known)})
    missing = [c for c in required if c not in found]
    if missing:
        raise FileUnusable(_("Нет обязательных столбцов: %(columns)s.") % {"columns": ", ".join(missing)})
    if is_jsonl:
        row_count = sum(1 for line in text.splitlines() if line.strip())
    if row_count == 0:
        raise FileUnusable(_("В файле нет строк с данными."))
    if row_count > max_rows:
        raise FileUnusable(_("В файле %(count)d строк, допустимо не больше %(max)d: разделите файл на части.")
                           % {"count": row_count, "max": max_rows})
    return ImportFile(name=name, format="jsonl" if is_jsonl else "csv", encoding=encoding, delimiter=delimiter,
                      columns=known, present=tuple(found), row_count=row_count,
                      sha256=hashlib.sha256(data).hexdigest(), text=text, plain=plain,
                      utf8=data if encoding == "utf-8" and not marked else None)


def _too_big(size: int, max_bytes: int) -> str:
    return _("Файл слишком большой: %(size)d МБ, допустимо не больше %(max)d МБ; разделите его на части.") % {
        "size": -(-size // (1024 * 1024)), "max": max_bytes // (1024 * 1024)}


def _decode(data: bytes, encodings: Sequence[str], mark_undecodable: bool) -> tuple[str, str, bool]:
    """(text, encoding, whether undecodable bytes were marked with U+FFFD)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileUnusable(_("Файл в кодировке UTF-16: сохраните его как «CSV UTF-8»."))
    head = data[:4096]
    controls = sum(1 for b in head if b < 32 and b not in b"\t\n\r")
    if b"\x00" in data or controls * 10 > len(head):
        raise FileUnusable(_("Это не текстовый файл: ожидается CSV или JSON Lines."))
    for encoding in encodings:
        try:
            return data.decode("utf-8-sig" if encoding == "utf-8" else encoding), encoding, False
        except UnicodeDecodeError:
            if encoding == "utf-8" and mark_undecodable and (text := _marked_utf8(data)) is not None:
                return text, encoding, True
    raise FileUnusable(_("Не удалось прочитать текст файла: ожидается кодировка UTF-8 (с BOM или без)."))


def _marked_utf8(data: bytes) -> str | None:
    """A file whose lines are mostly UTF-8 (of those that are not ASCII) as text, the bytes of the
    other lines replaced by U+FFFD; None for a file mostly in another encoding."""
    lines = data.split(b"\n")
    readable = unreadable = 0
    for line in lines:
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                unreadable += 1
            else:
                readable += 1
    if readable <= unreadable:
        return None
    return "\n".join(line.decode("utf-8", errors="replace") for line in lines).removeprefix("\ufeff")


def _normalise_column(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _sniff_delimiter(text: str) -> str:
    header = text.lstrip("\r\n").split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def _csv_reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)


def _is_plain(data: bytes) -> bool:
    """No quoted cell, and lines end in \\n or \\r\\n (see ImportFile.plain). Read from the bytes (the
    three characters are the same bytes in every encoding read), a fifth of the time on the text."""
    return b'"' not in data and data.count(b"\r") == data.count(b"\r\n")


def _plain_header(text: str, delimiter: str) -> list[str]:
    """The header's cells of a plain file (ImportFile.plain): its first line split."""
    end = text.find("\n")
    line = (text if end < 0 else text[:end]).rstrip("\r")  # (partition would copy the rest of the text)
    return line.split(delimiter) if line else []


def _scan_csv(text: str, delimiter: str, plain: bool) -> tuple[list[str], int]:
    """The header's columns and the number of non-blank data rows (a full pass, so a malformed
    file is refused before any row is written)."""
    if plain:  # a data row per "\n", less the blank ones: two passes in C (a loop over the lines took 6×)
        blank = re.compile(rf"\n(?:[^\S\n]|{re.escape(delimiter)})*(?=\n|\Z)")
        return _header_columns(_plain_header(text, delimiter)), text.count("\n") - len(blank.findall(text))
    reader = _csv_reader(text, delimiter)
    rows = 0
    try:
        header = next(reader, [])
        for cells in reader:
            if any(c.strip() for c in cells):
                rows += 1
    except csv.Error as exc:
        raise FileUnusable(_("Файл CSV повреждён (строка %(row)d): %(error)s")
                           % {"row": reader.line_num, "error": exc}) from None
    return _header_columns(header), rows


def _header_columns(header: list[str]) -> list[str]:
    columns = [_normalise_column(c) for c in header]
    named = [c for c in columns if c]
    duplicates = sorted({c for c in named if named.count(c) > 1})
    if duplicates:
        raise FileUnusable(_("Столбцы повторяются: %(columns)s.") % {"columns": ", ".join(duplicates)})
    return named


def _scan_jsonl(text: str) -> list[str]:
    """The union of the keys of all objects (broken lines are the row's problem, reported later)."""
    keys: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip() and len(line) <= MAX_JSON_LINE:
            try:
                obj = _json_loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(_normalise_column(str(k)) for k in obj))
    return list(keys)


def _csv_records(file: ImportFile, skip: frozenset[int] = frozenset()) -> Iterator[tuple[int, list[str], str | None]]:
    """(row number, cells, the line as written in a plain file, else None) of each record after the
    header, except those numbered in `skip` (not even split)."""
    if not file.plain:
        reader = _csv_reader(file.text, file.delimiter)
        next(reader, None)
        for number, cells in enumerate(reader, start=2):
            if number not in skip:
                yield number, cells, None
        return
    delimiter = file.delimiter
    lines = file.text.split("\n")  # (the row cap is checked: a bounded list)
    for number in range(2, len(lines) + 1):
        if number not in skip:
            line = lines[number - 1].rstrip("\r")
            yield number, line.split(delimiter) if line else [], line


# The digest reads the cells joined with the ASCII unit separator, which no CSV cell holds.
_UNIT = "\x1f"


def _digest(file: ImportFile, cells: list[str], line: str | None) -> int:
    """The row's fingerprint: its cells as written (not stripped), under the file's header."""
    return _hashed(file.hasher, _payload(file, cells, line))


def _payload(file: ImportFile, cells: list[str], line: str | None) -> bytes:
    """What a row's fingerprint hashes: its cells joined by the unit separator, in UTF-8."""
    return (_UNIT.join(cells) if line is None else line.replace(file.delimiter, _UNIT)).encode()


def _hashed(hasher, payload: bytes) -> int:
    hasher = hasher.copy()
    hasher.update(payload)
    return int.from_bytes(hasher.digest(), "big", signed=True)


def _keyed_payloads(file: ImportFile, at: int) -> Iterator[tuple[int, str, bytes | None]]:
    """(row number, its cell `at` stripped, the bytes its `_digest` hashes, or None for a row longer
    than MAX_CELL) of each record after the header. A plain file is prepared for all its lines at
    once, in C (its UTF-8, delimiters to the unit separator, split): per line only the key's cell
    is cut out, a sixth less time than splitting and encoding line by line."""
    if not file.plain:
        for number, cells, _line in _csv_records(file):
            key = cells[at].strip() if at < len(cells) else ""
            yield number, key, _payload(file, cells, None) if sum(map(len, cells)) <= MAX_CELL else None
        return
    unit = _UNIT.encode()
    utf8 = file.utf8 if file.utf8 is not None else file.text.encode()  # (a BOM is in the header's line)
    lines = utf8.replace(file.delimiter.encode(), unit).split(b"\n")
    for number in range(2, len(lines) + 1):
        line = lines[number - 1].rstrip(b"\r")
        cells = line.split(unit, at + 1)
        key = cells[at].decode().strip() if at < len(cells) else ""
        yield number, key, line if len(line) <= MAX_CELL else None  # (bytes: a bound in characters or less)


def _csv_rows(file: ImportFile, skip: frozenset[int] = frozenset()) -> Iterator[Row]:
    header = [_normalise_column(c) for c in file.header]
    for number, cells, line in _csv_records(file, skip):
        if not any(c.strip() for c in cells):
            continue
        huge = next((col for col, cell in zip(header, cells, strict=False) if len(cell) > MAX_CELL), None)
        if huge is not None:  # checked first: the oversized text is never copied
            yield Row(number, dict.fromkeys(file.columns, ""), _too_long_cell(), huge)
            continue
        values = {col: cell.strip() for col, cell in zip(header, cells, strict=False) if col}
        values.update((c, "") for c in file.columns if c not in values)
        extra = [c for c in cells[len(header):] if c.strip()]
        problem = _("В строке больше значений, чем столбцов в заголовке.") if extra else ""
        yield Row(number, values, problem, digest=_digest(file, cells, line))


def _settled_rows(file: ImportFile, feed: Feed, result: ImportResult) -> frozenset[int]:
    """The numbers of the rows `feed.settled` recognises as applied already, counted as unchanged."""
    if file.format != "csv" or not feed.key_column or type(feed).settled is Feed.settled:
        return frozenset()
    header = [_normalise_column(c) for c in file.header]
    if feed.key_column not in header:
        return frozenset()
    hasher = file.hasher
    found: dict[str, tuple[int, int]] = {}
    repeated = set()
    for number, value, payload in _keyed_payloads(file, header.index(feed.key_column)):
        if value in found:
            repeated.add(value)
        elif value and payload is not None:  # (a row too long is taken the usual way)
            found[value] = (number, _hashed(hasher, payload))
    for value in repeated:  # every occurrence goes the usual way: the second is reported as a repeat
        del found[value]
    settled = feed.settled({value: digest for value, (_number, digest) in found.items()}) if found else set()
    if settled:
        result.count("unchanged", len(settled))
    return frozenset(found[value][0] for value in settled)


def _too_long_cell() -> str:
    return _("Значение длиннее %(max)d символов: строка не импортирована.") % {"max": MAX_CELL}


def _jsonl_rows(file: ImportFile, skip: frozenset[int] = frozenset()) -> Iterator[Row]:
    for number, line in enumerate(file.text.splitlines(), start=1):
        if not line.strip() or number in skip:
            continue
        values, problem = _json_row(line)
        huge = next((col for col, value in values.items() if len(value) > MAX_CELL), None)
        if huge is not None:
            yield Row(number, dict.fromkeys(file.columns, ""), _too_long_cell(), huge)
            continue
        values.update((c, "") for c in file.columns if c not in values)
        yield Row(number, values, problem)


def _json_row(line: str) -> tuple[dict[str, str], str]:
    if len(line) > MAX_JSON_LINE:
        return {}, _("Строка длиннее %(max)d символов.") % {"max": MAX_JSON_LINE}
    try:
        obj = _json_loads(line)
    except ValueError:
        return {}, _("Строка не является корректным JSON.")
    if not isinstance(obj, dict):
        return {}, _("Строка должна быть JSON-объектом {…}.")
    values = {}
    for key, value in obj.items():
        if isinstance(value, dict | list):
            return {}, _("Значение «%(key)s» должно быть строкой или числом.") % {"key": key}
        values[_normalise_column(str(key))] = _json_text(value)
    return values, ""


def _json_loads(line: str):
    def refuse(constant):
        raise ValueError(constant)  # NaN, Infinity: not JSON

    return json.loads(line, parse_constant=refuse)


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


# Running --------------------------------------------------------------------------------------

def import_data(source: bytes | Path, feed: Feed, *, name: str = "", batch_size: int = BATCH_SIZE,
                dry_run: bool = False, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> ImportResult:
    """Read `source` (the file's bytes, or its path) and run `feed` over it. An unusable file gives
    a result with exit code 1 and nothing written; ImportInterrupted propagates (see there)."""
    options = {"columns": feed.columns, "required": feed.required_columns, "max_bytes": max_bytes,
               "max_rows": max_rows, "mark_undecodable": feed.marks_undecodable}
    try:
        if isinstance(source, Path):
            file = read_import_path(source, **options)
        else:
            file = read_import(source, name=name, **options)
    except FileUnusable as exc:
        return ImportResult(unusable=str(exc))
    return run_import(file, feed, batch_size=batch_size, dry_run=dry_run)


def run_import(file: ImportFile, feed: Feed, *, batch_size: int = BATCH_SIZE, dry_run: bool = False) -> ImportResult:
    """Process `file`'s rows in batches of `batch_size`, each in its own transaction: a batch is
    written whole or not at all. With `dry_run` everything is rolled back at the end (a preview)."""
    result = ImportResult(rows=file.row_count, sha256=file.sha256)
    seen: dict[str, int] = {}  # key_column value → the row it first appeared in
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        settled = _settled_rows(file, feed, result)
        for batch in _batches(file.rows(settled), batch_size):
            _run_batch(batch, feed, result, seen)
        if dry_run:
            transaction.set_rollback(True)
    result.errors.sort()
    return result


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _run_batch(batch: list[Row], feed: Feed, result: ImportResult, seen: dict[str, int]) -> None:
    batch_result = ImportResult()
    good = []
    for row in batch:
        if row.problem:
            batch_result.reject(row.number, row.problem_column, row.problem)
        elif not _is_repeated(row, feed.key_column, seen, batch_result):
            good.append(row)
    try:
        with cyclic_gc_paused(), transaction.atomic():  # a batch's objects live to its end: core.collector
            feed.handle_batch(good, batch_result)
    except Exception as exc:
        logger.exception("import interrupted at rows %d-%d", batch[0].number, batch[-1].number)
        raise ImportInterrupted(batch[0].number, batch[-1].number, result, exc) from exc
    result.merge(batch_result)


def _is_repeated(row: Row, key_column: str | None, seen: dict[str, int], batch_result: ImportResult) -> bool:
    """Reject a row whose key an earlier row of the file already had."""
    key = row.values.get(key_column, "") if key_column else ""
    if not key:
        return False
    if key in seen:
        batch_result.reject(row.number, key_column,
                            _("Значение «%(key)s» уже встречалось в строке %(row)d; повтор не импортирован.")
                            % {"key": key, "row": seen[key]})
        return True
    seen[key] = row.number
    return False


# Recorded runs --------------------------------------------------------------------------------

MAX_STORED_ERRORS = 1000
# A run still "running" this long after its start died with its process (a worker killed past its
# time limit): it no longer blocks the same file.
STALE_RUN = dt.timedelta(hours=6)
# Anything shaped like an address, malformed ones too (`a@@b.ru`, `a@b`): they name a person as well.
_EMAIL = re.compile(r"([^\s«»\"'@,;])[^\s«»\"'@,;]*@+([^\s«»\"'@,;]+)")
# SNILS, phone and similar long numbers (not a number glued to letters or a hyphen, like РР-2026-000001).
_LONG_NUMBER = re.compile(r"(?<![\w-])\+?\d(?:[\d\s()-]{8,16})\d(?![\w-])")


def load_source(source: bytes | Path, *, max_bytes: int = MAX_BYTES) -> bytes | Path:
    """The file's bytes when it is small enough to import (so that its sha256 is known before
    anything runs); a path that cannot be read or is too big stays a path, and `import_data`
    explains what is wrong with it."""
    if isinstance(source, Path):
        try:
            if source.stat().st_size <= max_bytes:
                return source.read_bytes()
        except OSError:
            pass
    return source


def mask_personal(text: str) -> str:
    """Row-error reasons quote cell values; the stored report keeps e-mails and long numbers
    (SNILS, phones) recognisable but not readable: `i***@example.org`, `*********45`."""
    text = _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", text)
    return _LONG_NUMBER.sub(lambda m: re.sub(r"\d", "*", m[0][:-2]) + m[0][-2:], text)


def run_recorded(feed: Feed, *, source: str, kind: str, data: bytes | Path, name: str = "", initiator: str = "",
                 user=None, dry_run: bool = False, run) -> ImportResult:
    """Run `run(data)` (the feed's import, returning its ImportResult) as a recorded ImportRun.

    A file (by sha256) that a run of the same source and kind already imported cleanly, or that
    is being imported right now, is not processed again: the run is recorded as a duplicate, with
    the earlier run's applied rows counted as unchanged, and nothing is written (no rows, no
    history, no e-mails). A file whose earlier run rejected rows is processed again: the rows that
    failed may pass now (a program loaded since), and the feed's upserts keep the rest unchanged.
    A dry run (the admin's preview) is not recorded."""
    from core.models import ImportRun

    digest = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else ""
    earlier = _blocking_run(source, kind, digest)
    if earlier is not None:
        return _duplicate(feed, earlier, digest, source=source, kind=kind, name=name, initiator=initiator,
                          user=user, dry_run=dry_run)
    if dry_run:
        return _delivered(run(data), digest)
    try:
        with transaction.atomic():
            record = ImportRun.objects.create(source=source, kind=kind, file_name=name[:255], sha256=digest,
                                              initiator=user, initiator_label=initiator[:200])
    except IntegrityError:  # the same file started a moment ago, in another process
        earlier = _blocking_run(source, kind, digest)
        if earlier is None:
            raise
        return _duplicate(feed, earlier, digest, source=source, kind=kind, name=name, initiator=initiator,
                          user=user, dry_run=False)
    try:
        result = run(data)
    except ImportInterrupted as exc:
        _record_result(record, exc.result)
        record.interrupt(str(exc))
        record.save()
        exc.result.run_id = record.pk
        raise
    except BaseException as exc:  # any other crash: the run must not stay "running"
        record.interrupt(f"{type(exc).__name__}: {exc}")
        record.save()
        raise
    _record_result(record, result)
    if result.unusable:
        record.refuse(result.unusable)
    elif result.errors:
        record.complete_with_errors()
    else:
        record.complete()
    record.save()
    result.run_id = record.pk
    return _delivered(result, digest)


def _delivered(result: ImportResult, digest: str) -> ImportResult:
    """The result's sha256 is the file's as delivered (a feed may have read it altered: marked lines)."""
    if digest and not result.unusable:
        result.sha256 = digest
    return result


def _blocking_run(source: str, kind: str, digest: str):
    """The completed or running run of this very file, if any (a stale "running" one is closed)."""
    from core.models import ImportRun

    if not digest:
        return None
    status = ImportRun.Status
    runs = ImportRun.objects.filter(source=source, kind=kind, sha256=digest,
                                    status__in=[status.COMPLETED, status.RUNNING])
    for run in runs.order_by("started_at"):
        if run.status == status.RUNNING and run.started_at < timezone.now() - STALE_RUN:
            run.interrupt(_("Запуск не завершился: процесс остановлен."))
            run.save()
            continue
        return run
    return None


def _duplicate(feed: Feed, earlier, digest: str, *, source, kind, name, initiator, user, dry_run) -> ImportResult:
    from core.models import ImportRun

    applied = sum(earlier.counts.get(o, 0) for o in feed.outcome_labels if o != "rejected")
    result = ImportResult(rows=earlier.rows, sha256=digest, duplicate_of=earlier.pk)
    result.count("unchanged", applied)
    for outcome in feed.repeatable_outcomes:
        if earlier.counts.get(outcome):
            result.count(outcome, earlier.counts[outcome])
    if earlier.status == ImportRun.Status.RUNNING:
        note = _("Этот же файл сейчас загружается (загрузка № %(id)d, начата %(when)s): повторная загрузка "
                 "ничего не изменила.")
    else:
        note = _("Этот файл уже импортирован (загрузка № %(id)d, %(when)s): повторная загрузка ничего не изменила.")
    result.notes.append(note % {"id": earlier.pk, "when": formats.date_format(
        timezone.localtime(earlier.started_at), "DATETIME_FORMAT")})
    if not dry_run:
        now = timezone.now()
        record = ImportRun(source=source, kind=kind, file_name=name[:255], sha256=digest, initiator=user,
                           initiator_label=initiator[:200], status=ImportRun.Status.DUPLICATE, duplicate_of=earlier,
                           started_at=now, finished_at=now, message=result.notes[0])
        _record_result(record, result)
        record.save()
        result.run_id = record.pk
    return result


def _record_result(record, result: ImportResult) -> None:
    record.rows = result.rows
    record.counts = {k: v for k, v in result.counts.items() if v}
    record.created, record.updated = result.counts["created"], result.counts["updated"]
    record.unchanged, record.rejected = result.counts["unchanged"], result.counts["rejected"]
    record.errors_total = len(result.errors)
    record.errors = [[e.row, e.column, mask_personal(e.reason)] for e in sorted(result.errors)[:MAX_STORED_ERRORS]]
    if result.notes and not record.message:
        record.message = "\n".join(result.notes)


# Writing --------------------------------------------------------------------------------------

def bulk_update_values(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of `objs` (one model) with `UPDATE … FROM (VALUES …)`: one statement per chunk,
    time linear in the rows. QuerySet.bulk_update builds a CASE WHEN per field listing every row,
    which is quadratic and took 25 s for 10,000 programs on PostgreSQL."""
    if not objs:
        return
    meta = objs[0]._meta
    connection = connections[router.db_for_write(type(objs[0]))]
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    # PostgreSQL types the VALUES list from its casts; SQLite stores by the column's affinity
    # (and a CAST there could turn a date string into a number).
    cast = connection.vendor == "postgresql"
    placeholder = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" if cast else "%s" for f in columns) + ")"
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = v.column{i}" for i, f in enumerate(columns[1:], start=2))
    chunk = max(1, min(1000, (connection.features.max_query_params or 60000) // len(columns)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), chunk):
            part = objs[start:start + chunk]
            params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in part for f in columns]
            cursor.execute(f"UPDATE {qn(meta.db_table)} SET {assignments} FROM (VALUES "
                           f"{', '.join([placeholder] * len(part))}) AS v "
                           f"WHERE {qn(meta.db_table)}.{qn(meta.pk.column)} = v.column1", params)


# Cells ----------------------------------------------------------------------------------------

TRUE_WORDS = frozenset({"1", "true", "да", "yes", "y", "д", "истина", "+"})
FALSE_WORDS = frozenset({"0", "false", "нет", "no", "n", "н", "ложь", "-"})
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def parse_flag(value: str) -> bool:
    """1/0, true/false, да/нет (any case)."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("Ожидается 1/0, true/false или да/нет, получено «%(value)s».") % {"value": value})


def parse_int(value: str, *, min_value: int | None = 0, max_value: int | None = None) -> int:
    """A whole number in [min_value, max_value]."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CellError(_("Ожидается целое число, получено «%(value)s».") % {"value": value})
    number = int(text)
    if min_value is not None and number < min_value:
        raise CellError(_("Число должно быть не меньше %(min)d, получено %(value)d.")
                        % {"min": min_value, "value": number})
    if max_value is not None and number > max_value:
        raise CellError(_("Число должно быть не больше %(max)d, получено %(value)d.")
                        % {"max": max_value, "value": number})
    return number


def parse_date(value: str) -> dt.date:
    """YYYY-MM-DD or DD.MM.YYYY."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    raise CellError(_("Ожидается дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ, получено «%(value)s».") % {"value": value})


# Error report ---------------------------------------------------------------------------------

def error_report_csv(errors: Sequence[RowError]) -> bytes:
    """The error report as CSV for Excel: UTF-8 with BOM, `;`, formula-leading cells escaped."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Строка"), _("Столбец"), _("Причина")])
    for error in sorted(errors):
        writer.writerow([error.row, _escape(error.column), _escape(error.reason)])
    return buffer.getvalue().encode("utf-8-sig")


def write_error_report(errors: Sequence[RowError], path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(error_report_csv(errors))
    return path


def _escape(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running the cell as a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
