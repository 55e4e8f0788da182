"""Writes of generated documents and signatures, shared by every app that produces papers.

The pattern for a generated PDF (STYLE §3.9), used by contracts today and by the applications'
blanks, assignments and acts next:

    document = document_create(kind="training_contract", title=str(contract), actor=actor)
    contract.document = document                       # the owner points at its current document
    document_enqueue(document.pk, my_render_task)      # queued after commit; the relay re-queues it if lost

    # my_render_task -> my service:
    document_render(document_id=document_id, template_name="pdf/programs/training_contract.html",
                    context_builder=lambda document: {...})

A signature is stored by `signature_store` from inside the owner's service, in the same transaction
as the owner's transition, so that a refused step stores nothing.
"""
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from core.faults import fault_point
from core.pdf import render_pdf
from documents.models import GeneratedDocument, Signature
from documents.validators import validate_signature_file

logger = logging.getLogger(__name__)
REQUEUE_AFTER = dt.timedelta(minutes=15)  # well past a normal queue wait: a document this old was lost


def document_create(*, kind: str, title: str, number: str = "", actor=None) -> GeneratedDocument:
    """A `pending` document row, created before its render task is queued (the task gets its id)."""
    return GeneratedDocument.objects.create(kind=kind, title=title[:300], number=number[:60], created_by=actor)


def document_enqueue(document_id: int, task) -> None:
    """Queue `task(document_id=…)` after the current transaction commits. The row is committed by
    then and names its task, so a broker that is down (§4 R2) or a message it lost (R3) does not
    lose the document: the request still succeeds and `documents_requeue` queues it again."""
    GeneratedDocument.objects.filter(pk=document_id).update(render_task=task.name)
    transaction.on_commit(lambda: _publish(task, document_id))


def documents_requeue(*, older_than: dt.timedelta = REQUEUE_AFTER) -> int:
    """The relay: queue again every document still pending `older_than` after it was created
    (render tasks are idempotent, so a document whose task was merely slow renders once)."""
    from flow.celery import app

    stale = (GeneratedDocument.objects.filter(status=GeneratedDocument.Status.PENDING,
                                              created_at__lt=timezone.now() - older_than)
             .exclude(render_task="").values_list("pk", "render_task"))
    count = 0
    for document_id, task_name in stale.iterator():
        task = app.tasks.get(task_name)
        if task is None:
            logger.error("document %s: unknown render task %s", document_id, task_name)
            continue
        count += _publish(task, document_id)
    if count:
        logger.warning("documents relay: %d pending document(s) queued again", count)
    return count


def _publish(task, document_id: int) -> int:
    try:
        task.delay(document_id=document_id)
    except (BrokerError, OSError) as error:
        logger.warning("document %s: broker unavailable (%s), left to the relay", document_id, type(error).__name__)
        return 0
    return 1


def document_render(*, document_id: int, template_name: str | Mapping[str, str],
                    context_builder: Callable[[GeneratedDocument], dict]) -> GeneratedDocument:
    """Render a pending document to PDF and store it: `ready` with its SHA-256, or `failed` with the
    error when the context or the template fails. Idempotent: a document that is no longer pending
    is returned as it is (acks-late redelivery, a retry, a second worker). `template_name` may map
    the document's kind to its template (one task renders several kinds).

    The slow part (WeasyPrint) runs outside any transaction; the row is locked only to store the
    result. A storage error (OSError) propagates, leaving the row pending, so that the task retries.
    """
    document = GeneratedDocument.objects.get(pk=document_id)
    if document.status != GeneratedDocument.Status.PENDING:
        return document
    fault_point("document_render", "before_side_effect")
    started = time.monotonic()
    if not isinstance(template_name, str):
        template_name = template_name[document.kind]
    try:
        pdf = render_pdf(template_name, context_builder(document))
    except Exception as error:  # a bad template or missing data: recorded on the row, shown to the user
        logger.exception("document %s (%s) failed to render", document_id, document.kind)
        return _document_fail(document_id, f"{type(error).__name__}: {error}")
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        if document.status != GeneratedDocument.Status.PENDING:
            return document
        _store(document, f"{document.kind}-{document.pk}.pdf", ContentFile(pdf))
        document.mark_ready(sha256=hashlib.sha256(pdf).hexdigest())
        document.save()
        fault_point("document_render", "after_side_effect_before_commit")
    logger.info("document %s (%s) rendered in %.2f s, %d bytes", document_id, document.kind,
                time.monotonic() - started, len(pdf))
    fault_point("document_render", "after_commit_before_ack")
    return document


def document_package(*, document_id: int, entries_builder: Callable[[GeneratedDocument], list]) -> GeneratedDocument:
    """Build a pending document as a ZIP of stored files (documents.packages) and store it: the
    ZIP counterpart of `document_render`, idempotent in the same way. `entries_builder` returns
    the documents.packages.Entry list; the archive is streamed to a temporary file, never held
    in memory whole."""
    from documents.packages import build_zip_file

    document = GeneratedDocument.objects.get(pk=document_id)
    if document.status != GeneratedDocument.Status.PENDING:
        return document
    started = time.monotonic()
    try:
        entries = entries_builder(document)
    except Exception as error:  # missing data: recorded on the row, shown to the user
        logger.exception("package %s (%s) failed to build", document_id, document.kind)
        return _document_fail(document_id, f"{type(error).__name__}: {error}")
    archive, sha256, paths = build_zip_file(entries)
    with archive, transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        if document.status != GeneratedDocument.Status.PENDING:
            return document
        _store(document, f"{document.kind}-{document.pk}.zip", File(archive))
        document.mark_ready(sha256=sha256)
        document.save()
    logger.info("package %s (%s) built in %.2f s, %d files", document_id, document.kind,
                time.monotonic() - started, len(paths))
    return document


def _store(document: GeneratedDocument, name: str, content) -> None:
    """Store the file under a key fixed by the document (kind, id): a worker killed after the store
    but before the commit leaves a file the redelivered task overwrites, never a second one (I2, I3)."""
    key = document.file.field.generate_filename(document, name)
    if document.file.storage.exists(key):
        document.file.storage.delete(key)
    document.file.save(name, content, save=False)


def _document_fail(document_id: int, error: str) -> GeneratedDocument:
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        if document.status == GeneratedDocument.Status.PENDING:
            document.mark_failed(error=error)
            document.save()
    return document


def document_require_ready(document: GeneratedDocument | None) -> GeneratedDocument:
    """The document, or a Russian ValidationError while it is missing, being rendered or failed."""
    if document is None or document.status == GeneratedDocument.Status.PENDING:
        raise ValidationError(_("Документ ещё формируется. Обновите страницу через минуту."), code="pending")
    if document.status == GeneratedDocument.Status.FAILED:
        raise ValidationError(_("Документ не удалось сформировать. Сформируйте его заново."), code="failed")
    return document


@transaction.atomic
def signature_store(*, document: GeneratedDocument, party: str, file, actor) -> Signature:
    """Store one party's detached CMS signature of a ready document, exactly as uploaded.
    Refuses (nothing stored) a file that is not CMS, an unready document, or a second signature
    of the same party (a signature is never replaced: the document is regenerated instead).
    The caller checks who may sign and runs the owner's transition in the same transaction."""
    data = validate_signature_file(file)
    document = GeneratedDocument.objects.select_for_update().get(pk=document_require_ready(document).pk)
    if Signature.objects.filter(document=document, party=party).exists():
        raise ValidationError(_("Подпись этой стороны уже загружена."), code="duplicate_signature")
    signature = Signature(document=document, party=party, original_name=_original_name(file),
                          sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor)
    signature.file.save(f"{document.kind}-{document.pk}-{party}.sig", ContentFile(data), save=False)
    signature.save()
    return signature


def _original_name(file) -> str:
    name = (getattr(file, "name", "") or "signature.sig").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:255]
