"""Storing an application's scans: every upload is checked by content, made safe and stored as a
new version under a random name; the previous version is kept (DESIGN §5, security UPL-01…07).

`document_upload` is the one entry point, for the citizen's cabinet and for partner staff alike
(replacing a citizen's document, the contract signed by all parties). `scan_prepare` and
`document_store` are its two halves, for a service that checks several documents before storing
any of them. `storage_reconcile` removes stored files that no row points to (UPL-08).
"""
import contextvars
import datetime as dt
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.validators import Scan, validate_scan_files
from enrollment.cabinet import CITIZEN_KINDS, citizen_may_upload
from enrollment.models import Application, ApplicationDocument
from enrollment.permissions import is_application_partner, may_replace_documents

logger = logging.getLogger(__name__)

Kind = ApplicationDocument.Kind

# What one citizen may upload in all (UPL-02), across their applications and every version: enough
# for every document of two applications replaced several times, not enough to fill the storage.
# Settings CITIZEN_UPLOAD_MAX_FILES and CITIZEN_UPLOAD_MAX_BYTES override them.
CITIZEN_UPLOAD_MAX_FILES = 60
CITIZEN_UPLOAD_MAX_BYTES = 600 * 1024 * 1024


def document_upload(*, application: Application, kind: str, files: list, actor) -> ApplicationDocument:
    """Check `files` (one document: PDF, JPEG or PNG by content, at most MAX_UPLOAD_SIZE each; several
    photos are merged into one PDF) and store them as the new current version of `kind`.

    Who: the application's citizen (their own kinds, at the step that collects them, never over an
    approved version); partner staff of the application's partner with the "may replace citizen
    documents" right (any kind) or without it (the contract signed by all parties only); superusers.
    A citizen is also held to a count and total-size quota (`_check_citizen_quota`).
    Raises PermissionDenied, or a Russian ValidationError with nothing stored."""
    if kind not in Kind.values:
        raise ValidationError(_("Неизвестный вид документа."), code="unknown_kind")
    scan = scan_prepare(files)
    return document_store(application=application, kind=kind, scan=scan, actor=actor)


def scan_prepare(files: list) -> Scan:
    """The checked, safe bytes of one document (documents.validators.validate_scan_files)."""
    return validate_scan_files(files)


def may_upload(*, actor, application: Application, kind: str, current: ApplicationDocument | None) -> bool:
    """The citizen: their own kinds at the step that collects them (enrollment.cabinet); partner
    staff with the right to replace citizen documents: any kind; other partner staff: the contract
    signed by all parties; superusers: anything."""
    if actor.is_citizen and application.citizen.user_id == actor.pk:
        return kind in CITIZEN_KINDS and citizen_may_upload(application, kind, current)
    if may_replace_documents(actor, application):
        return True
    return kind == Kind.ALL_PARTY_CONTRACT and is_application_partner(actor, application)


def document_store(*, application: Application, kind: str, scan: Scan, actor) -> ApplicationDocument:
    """Store a prepared scan as the next version of `kind`; the current one stays, no longer current.
    The application row is locked, so two uploads of one document get consecutive versions."""
    with upload_transaction():
        application = (Application.objects.select_for_update(of=("self",)).select_related("citizen")
                       .get(pk=application.pk))
        versions = ApplicationDocument.objects.filter(application=application, kind=kind)
        current = versions.filter(is_current=True).first()
        if not may_upload(actor=actor, application=application, kind=kind, current=current):
            if current is not None and current.status == ApplicationDocument.Status.APPROVED:
                raise ValidationError(_("Документ «%(kind)s» уже подтверждён, заменить его нельзя.")
                                      % {"kind": Kind(kind).label}, code="approved")
            raise PermissionDenied
        if actor.is_citizen:
            _check_citizen_quota(application=application, actor=actor, size=scan.size)
        number = (versions.aggregate(last=Max("version"))["last"] or 0) + 1
        versions.filter(is_current=True).update(is_current=False)
        document = ApplicationDocument(application=application, kind=kind, version=number, is_current=True,
                                       content_type=scan.content_type, size=scan.size, sha256=scan.sha256,
                                       uploaded_by=actor)
        document.file = stored_file(scan, prefix="applications")
        document.save()
        application.events.create(actor=actor, transition="document_upload", source=application.status,
                                  target=application.status,
                                  comment=_("Загружен документ «%(kind)s», версия %(version)s.")
                                  % {"kind": Kind(kind).label, "version": number})
    return document


def citizen_upload_limits() -> tuple[int, int]:
    """(files, bytes) one citizen may upload in all."""
    return (int(getattr(settings, "CITIZEN_UPLOAD_MAX_FILES", CITIZEN_UPLOAD_MAX_FILES)),
            int(getattr(settings, "CITIZEN_UPLOAD_MAX_BYTES", CITIZEN_UPLOAD_MAX_BYTES)))


def _check_citizen_quota(*, application: Application, actor, size: int) -> None:
    """Refuse a citizen's upload past their count or total-size quota (UPL-02). Counted: every
    version the citizen uploaded themself on any of their applications (what partner staff upload
    on their behalf is not theirs to be limited by). Runs under the application's row lock, so two
    uploads to one application cannot both slip under the limit."""
    max_files, max_bytes = citizen_upload_limits()
    used = (ApplicationDocument.objects.filter(application__citizen_id=application.citizen_id, uploaded_by=actor)
            .aggregate(files=Count("pk"), size=Sum("size")))
    if used["files"] >= max_files:
        raise ValidationError(
            _("Загружено слишком много файлов: не более %(count)s версий документов на одного гражданина. "
              "Если нужно заменить документ, обратитесь в образовательную организацию.") % {"count": max_files},
            code="quota_files")
    if (used["size"] or 0) + size > max_bytes:
        raise ValidationError(
            _("Превышен общий объём ваших документов: не более %(size)s МБ на одного гражданина. Уменьшите файл "
              "(например, сохраните скан в меньшем разрешении) или обратитесь в образовательную организацию.")
            % {"size": max_bytes // (1024 * 1024)}, code="quota_size")


# Files and rollbacks --------------------------------------------------------------------------
# Django has no "on rollback" hook. A file is written to storage when its row is saved; should the
# transaction then roll back, the file would stay behind with personal data in it (UPL-08). Every
# write of an upload therefore happens inside `upload_transaction()`, which deletes the files it
# stored when its block fails and hands them to the enclosing block when it succeeds. A caller's
# own outer `transaction.atomic()` that rolls back later is not covered: wrap it in
# `upload_transaction()` instead.

_stored_files: contextvars.ContextVar[list | None] = contextvars.ContextVar("flow_stored_uploads", default=None)


@contextmanager
def upload_transaction():
    """`transaction.atomic()` that also removes the upload files stored inside it on failure."""
    parent = _stored_files.get()
    mine: list = []
    token = _stored_files.set(mine)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _delete_files(mine)
        raise
    finally:
        _stored_files.reset(token)
    if parent is not None:
        parent.extend(mine)


def stored_file(scan: Scan, *, prefix: str) -> str:
    """Write `scan` under a random name of our own (the user's file name is never used) and return
    the storage name for a FileField; registered for removal if the transaction fails."""
    name = default_storage.save(f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{scan.extension}",
                                ContentFile(scan.data))
    registry = _stored_files.get()
    if registry is None:
        raise RuntimeError("stored_file() must run inside upload_transaction()")
    registry.append(name)
    return name


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("could not delete the upload %s after a rollback", name)


# Orphans (UPL-08) -----------------------------------------------------------------------------
# `upload_transaction()` covers the uploads stored here. Other services store a file inside a plain
# `transaction.atomic()` (order scans, invoices, signatures…) and a crash between the write and the
# commit leaves the file behind; so does a worker killed mid-task. `storage_reconcile()` finds them
# by comparing what the storage holds under each FileField's folder with what the rows point to.

ORPHAN_GRACE = dt.timedelta(hours=1)  # an upload between its write and its commit is not an orphan


@dataclass
class Reconciliation:
    deleted: list[str] = field(default_factory=list)  # stored objects no row points to, removed
    missing: list[str] = field(default_factory=list)  # "<model> <pk>: <name>" whose file is gone


def storage_reconcile(*, grace: dt.timedelta = ORPHAN_GRACE, now: dt.datetime | None = None,
                      dry_run: bool = False) -> Reconciliation:
    """Delete every stored object under a FileField's folder that no row points to and that is
    older than `grace`, logging each (a warning: it held personal data nobody could reach); log
    as errors the rows whose file is missing, for a person to look into: a row is never deleted.
    One listing of the storage and one query per file field, no request per object."""
    now = now or timezone.now()
    referenced: dict[str, str] = {}
    folders: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, models.FileField) or not isinstance(model_field.upload_to, str):
                continue
            folders.add(model_field.upload_to.split("/", 1)[0])
            rows = model._default_manager.exclude(**{model_field.name: ""}).values_list("pk", model_field.name)
            for pk, name in rows.iterator():
                if name:
                    referenced[name] = f"{model._meta.label} {pk}"
    report = Reconciliation()
    stored: set[str] = set()
    for folder in sorted(folders):
        stored |= _stored_under(folder)
    for name in sorted(stored - referenced.keys()):
        if now - default_storage.get_modified_time(name) < grace:
            continue
        if not dry_run:
            default_storage.delete(name)
        report.deleted.append(name)
        logger.warning("storage orphan %s: %s (no row points to it)", "found" if dry_run else "deleted", name)
    for name in sorted(name for name in referenced.keys() - stored if name.split("/", 1)[0] in folders):
        report.missing.append(f"{referenced[name]}: {name}")
        logger.error("stored file missing: %s of %s", name, referenced[name])
    return report


def _stored_under(path: str) -> set[str]:
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:
        return set()
    names = {f"{path}/{name}" for name in files}
    for directory in directories:
        names |= _stored_under(f"{path}/{directory}")
    return names
