"""CSV/XLSX exports built in the background and e-mailed to their owner as a link.

An app plugs a list in from its own `exports.py` (found automatically):

    register_export(
        "enrollment.applications",
        title=_("Заявки"),
        columns=[(_("ФИО"), "citizen.full_name"), (_("Статус"), "get_status_display"),
                 (_("Подана"), lambda a: a.submitted_at)],
        queryset=lambda user, params: selectors.application_list_for(user, params),
    )

A column read straight from the row's database fields is declared as `Fields("citizen__email")` (or
`Fields("cohort__start_date", "cohort__end_date", value=lambda start, end: …)`): when every column of a
job is one, the rows are read with `values_list()` as tuples instead of model instances (a 1M-row
export spent a third of its time building instances), and each cell still works as an accessor
of an instance (`ExportSpec.row_for`).

`queryset(user, params)` runs when the export is started and again when the file is built, as the
owner, with the list page's filters as a QueryDict: it must scope rows to what the user may see
(raise PermissionDenied to refuse). The list page offers the button through the shared toolbar:
`{% url "core:export_start" "enrollment.applications" as export_url %}` and
`{% include "partials/list_toolbar.html" with export_url=export_url %}` (add `?export_format=xlsx`
to the URL for Excel).
"""
import codecs
import csv
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.access import record_task_denial, scope_snapshot, task_scope_refusal
from core.mail import send_templated_mail
from core.models import ExportJob

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Rows fetched per round trip when the rows are tuples (`Fields` columns): 10,000 short tuples are a
# few megabytes, and a 1M-row export makes 100 round trips instead of 500.
FETCH_SIZE = 10_000
# The job's progress (`done_rows`) is saved after a chunk at most this often: what the owner's page
# shows, without an UPDATE and a commit per 2,000 rows (500 of them in a 1M-row export, 6 % of it).
PROGRESS_SECONDS = 1.0
# A user may have this many exports queued or running at once.
MAX_ACTIVE_PER_USER = 3
BATCH = 500
# A pending job older than this lost its task (broker restarted): enqueue it again.
LOST_PENDING_AFTER = timedelta(minutes=10)
# A running job older than this lost its worker (the task time limit is 15 minutes).
LOST_RUNNING_AFTER = timedelta(hours=1)
# The key of `ExportJob.params` holding the owner's scope when the export was started (never a
# filter of a list page: those are plain words).
SCOPE_PARAM = "__scope"
# Excel and LibreOffice run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


class Fields:
    """An accessor of database fields: `fields` are ORM paths ("rr_number", "citizen__email") and
    `value(*values)` makes the cell of them (the one field as it is when omitted). Called with an
    instance it follows the same paths through its attributes, so a row built from an instance and
    one built from `values_list(*fields)` are the same."""

    __slots__ = ("fields", "value", "_paths")

    def __init__(self, *fields: str, value: Callable[..., Any] | None = None):
        if not fields:
            raise ImproperlyConfigured("Fields() needs at least one field.")
        self.fields = fields
        self.value = value
        self._paths = tuple(tuple(path.split("__")) for path in fields)

    def __call__(self, obj):
        values = []
        for path in self._paths:
            value = obj
            for name in path:
                if value is None:
                    break
                value = getattr(value, name)
            values.append(value)
        return self.value(*values) if self.value is not None else values[0]

    def __repr__(self):
        return f"Fields({', '.join(map(repr, self.fields))})"


Accessor = str | Callable[[Any], Any]


class UnknownExport(LookupError):
    """No export is registered under this kind."""


class ExportLimitReached(ValidationError):
    """The user already has MAX_ACTIVE_PER_USER exports in progress."""


@dataclass(frozen=True)
class ExportSpec:
    """One registered export: an ordered column spec (Russian header, accessor) and the rows."""

    kind: str
    title: str
    columns: tuple[tuple[str, Accessor], ...]
    queryset: Callable[[Any, QueryDict], QuerySet]
    # Per-job columns (a list page's chosen columns): `columns_for(user, params)` -> columns.
    columns_for: Callable[[Any, QueryDict], Iterable[tuple[str, Accessor]]] | None = None

    def for_job(self, user, params: QueryDict) -> "ExportSpec":
        """The spec with this job's columns, resolved once before the rows are written."""
        if self.columns_for is None:
            return self
        return replace(self, columns=tuple(self.columns_for(user, params)))

    @property
    def headers(self) -> list[str]:
        return [str(header) for header, _accessor in self.columns]

    def row_for(self, obj) -> list:
        """The row's cells: text (formula-safe), numbers, dates and local naive datetimes."""
        return [_cell(resolve_accessor(obj, accessor)) for _header, accessor in self.columns]


_registry: dict[str, ExportSpec] = {}
_discovered = False


def register_export(kind: str, *, title: str, columns: Iterable[tuple[str, Accessor]],
                    queryset: Callable[[Any, QueryDict], QuerySet],
                    columns_for: Callable[[Any, QueryDict], Iterable[tuple[str, Accessor]]] | None = None,
                    ) -> ExportSpec:
    """Register an export under `kind` (convention: "<app>.<list>"). An accessor is a dotted
    attribute path ("owner.email", "get_status_display": callables are called) or a function."""
    if kind in _registry:
        raise ImproperlyConfigured(f"Export {kind!r} is registered twice.")
    spec = ExportSpec(kind=kind, title=title, columns=tuple(columns), queryset=queryset, columns_for=columns_for)
    _registry[kind] = spec
    return spec


def get_export(kind: str) -> ExportSpec:
    global _discovered
    if not _discovered:
        autodiscover_modules("exports")
        _discovered = True
    try:
        return _registry[kind]
    except KeyError:
        raise UnknownExport(kind) from None


def export_list_for(user) -> QuerySet:
    """The user's own export jobs, newest first."""
    return ExportJob.objects.filter(owner=user).order_by("-created_at", "-pk")


@transaction.atomic
def export_start(*, user, kind: str, params: Mapping, format: str = ExportJob.Format.CSV) -> ExportJob:
    """Queue an export of `kind` for `user` with the list page's filters `params` (a QueryDict
    or a dict); the file is built by a Celery task after commit."""
    spec = get_export(kind)
    if format not in ExportJob.Format.values:
        raise ValidationError(_("Неизвестный формат выгрузки."), code="format")
    params = _normalise_params(params)
    spec.queryset(user, _query_dict(params))  # refuse now (PermissionDenied) rather than later
    active = ExportJob.objects.filter(
        owner=user, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]).count()
    if active >= MAX_ACTIVE_PER_USER:
        raise ExportLimitReached(
            _("Одновременно формируется не больше %(max)s выгрузок. Дождитесь готовности предыдущих.")
            % {"max": MAX_ACTIVE_PER_USER}, code="limit")
    # The owner's scope rides with the job: the task refuses to build if it changed meanwhile (ACL-09).
    # A user without any role has no scope to keep (the registered queryset alone decides).
    scope = scope_snapshot(user)
    job = ExportJob.objects.create(owner=user, kind=kind, title=str(spec.title),
                                   params={**params, SCOPE_PARAM: scope} if scope else params, format=format)
    _enqueue(job.pk)
    return job


def export_build(*, job_id: int) -> None:
    """Build the file of a pending job, save it, mark the job ready and e-mail the owner a link;
    or mark it failed. Idempotent: a job that is no longer pending is left alone."""
    with transaction.atomic():
        job = (ExportJob.objects.select_for_update(skip_locked=True)
               .filter(pk=job_id, status=ExportJob.Status.PENDING).first())
        if job is None:
            return
        try:
            spec, queryset = _job_spec_and_rows(get_export(job.kind), job)
            job.start(total_rows=queryset.count())
        except Exception as exc:  # the job must end in a state the owner can see
            logger.exception("export %s could not start", job_id)
            job.fail(_error_text(exc))
            job.save()
            return
        job.save()
    try:
        with tempfile.TemporaryFile() as fh:
            rows = _write(job, spec, queryset, fh)
            fh.seek(0)
            name = _storage_name(job)
            file_name = job.file.storage.save(job.file.field.generate_filename(job, name), File(fh, name=name))
    except Exception as exc:  # the job must end in a state the owner can see
        logger.exception("export %s failed", job_id)
        _fail(job_id, _error_text(exc))
        return
    _finish(job_id, file_name, rows)


def export_expire() -> int:
    """Delete the files of ready jobs past `expires_at` and mark them expired. Returns the count."""
    due = (ExportJob.objects.filter(status=ExportJob.Status.READY, expires_at__lte=timezone.now())
           .values_list("pk", flat=True)[:BATCH])
    expired = 0
    for job_id in list(due):
        with transaction.atomic():
            job = (ExportJob.objects.select_for_update(skip_locked=True)
                   .filter(pk=job_id, status=ExportJob.Status.READY).first())
            if job is None:
                continue
            if job.file:
                job.file.delete(save=False)
            job.expire()
            job.save()
        expired += 1
    return expired


def export_recover() -> int:
    """Settle jobs a lost broker or worker left behind: enqueue pending ones again (the build is
    idempotent) and fail running ones. Returns the number of jobs touched."""
    now = timezone.now()
    pending = list(ExportJob.objects.filter(status=ExportJob.Status.PENDING,
                                            created_at__lte=now - LOST_PENDING_AFTER)
                   .values_list("pk", flat=True)[:BATCH])
    for job_id in pending:
        _enqueue(job_id)
    running = list(ExportJob.objects.filter(status=ExportJob.Status.RUNNING,
                                            started_at__lte=now - LOST_RUNNING_AFTER)
                   .values_list("pk", flat=True)[:BATCH])
    for job_id in running:
        _fail(job_id, _("Формирование прервалось. Запустите выгрузку ещё раз."))
    return len(pending) + len(running)


def download_name(job: ExportJob) -> str:
    """The file name the owner's browser saves: «Заявки 23.11.2026.csv»."""
    day = timezone.localdate(job.finished_at or job.created_at)
    return f"{job.title} {day:%d.%m.%Y}.{job.format}"


def _enqueue(job_id: int) -> None:
    from core.tasks import export_build_task

    transaction.on_commit(lambda: export_build_task.delay(job_id=job_id))


class ScopeChanged(PermissionDenied):
    """The owner lost (or gained) a role or an organisation between the start and the build."""


def _job_spec_and_rows(spec: ExportSpec, job: ExportJob) -> tuple[ExportSpec, QuerySet]:
    """The job's columns and its rows as the owner may see them now: access is checked again when
    the job runs, against the scope recorded when it was started, and fails closed (ACL-09)."""
    params = dict(job.params)
    snapshot = params.pop(SCOPE_PARAM, None)
    reason = task_scope_refusal(job.owner, snapshot)
    if reason is not None:
        record_task_denial(user=job.owner, task="export_build", reason=reason, object_type="core.exportjob",
                           object_id=job.pk)
        raise ScopeChanged if reason == "scope_changed" else PermissionDenied
    query = _query_dict(params)
    return spec.for_job(job.owner, query), spec.queryset(job.owner, query)


def _write(job: ExportJob, spec: ExportSpec, queryset: QuerySet, fh) -> int:
    chunks = _row_chunks(job, spec, queryset)
    if job.format == ExportJob.Format.XLSX:
        return _write_xlsx(spec, chunks, fh)
    return _write_csv(spec, chunks, fh)


def _row_chunks(job: ExportJob, spec: ExportSpec, queryset: QuerySet):
    """The rows, CHUNK_SIZE at a time, as (number of rows, one iterable of raw values — before
    `_cell` — per column, to be read once), the job's progress saved after a chunk at most every
    PROGRESS_SECONDS. Read as tuples when every column is `Fields`, else as model instances; either
    way through a server-side cursor (`iterator`), so memory stays flat however many rows. Column
    by column, so that a cell function runs in `map` over the chunk rather than once per row in
    Python (a 1M-row export makes 6M cells). A table that is not a queryset (analytics' `Rows`)
    only needs `count()` and `iterator()`."""
    reader = _fields_reader(spec.columns) if isinstance(queryset, QuerySet) else None
    if reader is not None:
        fields, read_columns = reader
        tuples = queryset.values_list(*fields).iterator(chunk_size=FETCH_SIZE)
        chunks = ((len(chunk), read_columns(chunk)) for chunk in _batches(tuples))
    else:
        accessors = [accessor for _header, accessor in spec.columns]
        objects = queryset.iterator(chunk_size=CHUNK_SIZE)
        chunks = ((len(chunk), list(zip(*chunk, strict=True)))
                  for chunk in _batches([resolve_accessor(obj, accessor) for accessor in accessors]
                                        for obj in objects))
    done, saved_at = 0, time.monotonic()
    for rows, columns in chunks:
        yield rows, columns
        done += rows
        if time.monotonic() - saved_at >= PROGRESS_SECONDS:
            ExportJob.objects.filter(pk=job.pk).update(done_rows=done)
            saved_at = time.monotonic()


def _batches(items):
    items = iter(items)
    while batch := list(islice(items, CHUNK_SIZE)):
        yield batch


def _fields_reader(columns) -> tuple[list[str], Callable[[list[tuple]], list]] | None:
    """The fields to read with `values_list` and the function from a chunk of its tuples to the
    columns' raw values; None unless every column is `Fields`. A field two columns share is read once."""
    accessors = [accessor for _header, accessor in columns]
    if not accessors or not all(isinstance(accessor, Fields) for accessor in accessors):
        return None
    fields = list(dict.fromkeys(field for accessor in accessors for field in accessor.fields))
    index = {field: position for position, field in enumerate(fields)}
    plan = [(accessor.value, [index[field] for field in accessor.fields]) for accessor in accessors]

    def read_columns(chunk: list[tuple]) -> list:
        by_field = list(zip(*chunk, strict=True))
        return [by_field[positions[0]] if value is None else map(value, *(by_field[position] for position in positions))
                for value, positions in plan]

    return fields, read_columns


def _write_csv(spec: ExportSpec, chunks, fh) -> int:
    """UTF-8 with a BOM and `;` between cells: what Excel opens correctly in a Russian locale. Each
    chunk is written to a string and encoded at once: a text wrapper over the file would run Python
    code per row ("utf-8-sig"'s encoder, the reset of its decoder): 1.3–1.5× slower, measured alone."""
    fh.write(codecs.BOM_UTF8)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_escape(h) for h in spec.headers)
    count = 0
    for rows, columns in chunks:
        if columns:
            writer.writerows(zip(*[map(_csv_value, column) for column in columns], strict=True))
        else:
            writer.writerows([] for _row in range(rows))
        fh.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
        count += rows
    fh.write(buffer.getvalue().encode("utf-8"))  # the header of an export without rows
    return count


def _write_xlsx(spec: ExportSpec, chunks, fh) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(spec.title))
    sheet.append([_xlsx_value(_escape(h)) for h in spec.headers])
    count = 0
    for rows, columns in chunks:
        for row in zip(*columns, strict=True) if columns else ([] for _row in range(rows)):
            sheet.append([_xlsx_value(_cell(value)) for value in row])
        count += rows
    workbook.save(fh)
    return count


def _finish(job_id: int, file_name: str, rows: int) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update(of=("self",)).select_related("owner").get(pk=job_id)
        if job.status != ExportJob.Status.RUNNING:  # settled meanwhile by export_recover
            job.file.storage.delete(file_name)
            return
        job.file.name = file_name
        job.done_rows = rows
        job.finish()
        job.save()
        send_templated_mail(to=job.owner.email, template="emails/core/export_ready", context={
            "user_name": job.owner.get_short_name(),
            "job": job,
            "download_url": settings.SITE_URL + reverse("core:export_download", args=[job.pk]),
            "detail_url": settings.SITE_URL + reverse("core:export_detail", args=[job.pk]),
        })


def _fail(job_id: int, error: str) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING):
            job.fail(error)
            job.save()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ScopeChanged):
        return _("Выгрузка не сформирована: ваши права доступа изменились после её запуска. "
                 "Если доступ к этим данным у вас есть, запустите выгрузку ещё раз.")
    if isinstance(exc, PermissionDenied):
        return _("Нет доступа к этим данным.")
    if isinstance(exc, UnknownExport):
        return _("Такой выгрузки больше нет.")
    return f"{type(exc).__name__}: {exc}"


def _storage_name(job: ExportJob) -> str:
    """Unguessable, in case the storage is ever served directly."""
    return f"{job.kind.replace('.', '-')}-{job.pk}-{job.download_token[:16]}.{job.format}"


def _normalise_params(params: Mapping) -> dict[str, list[str]]:
    if hasattr(params, "lists"):
        return {key: list(values) for key, values in params.lists()}
    return {key: [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
            for key, value in params.items()}


def _query_dict(params: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    query._mutable = False
    return query


def resolve_accessor(obj, accessor: Accessor):
    """A dotted attribute path ("owner.email"; callables are called) or a function of `obj`."""
    if callable(accessor):
        return accessor(obj)
    value = obj
    for name in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, name)
        if callable(value):
            value = value()
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, int | float | Decimal | date):
        return value
    return _escape(str(value))


def _escape(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running the cell as a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_value(value) -> str:
    """`_csv_text(_cell(value))`, with the commonest cells (text, blank) first: called per cell."""
    if type(value) is str:
        return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    return _csv_text(_cell(value))


def _csv_text(value) -> str:
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")  # the Russian decimal separator
    return str(value)


def _xlsx_value(value):
    """XML cannot hold control characters: strip them first, then escape, so that `\x01=1+2`
    does not turn into the formula `=1+2` once stripped (EXP-01)."""
    return _escape(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in str(title) if c not in "[]:*?/\\")
    return cleaned[:31] or "Export"
