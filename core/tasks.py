"""Celery tasks of the building blocks: each takes primary keys and calls a service."""
from celery import shared_task

# Retries of one send; after that the row waits for the beat's flush (see core.mail.MAX_ATTEMPTS).
OUTBOX_TASK_RETRIES = 6


@shared_task(acks_late=True, bind=True, max_retries=OUTBOX_TASK_RETRIES)
def outbox_send_task(self, *, email_id: int) -> None:
    """Send one outbox e-mail; on an SMTP failure retry with exponential back-off (up to an hour).

    Run eagerly (laptop, unit tests), `self.retry` would loop at once in the caller: there the
    row is simply left `failed` for `outbox_flush`.
    """
    from core.mail import OutboxDeliveryError, outbox_send, retry_delay

    try:
        outbox_send(email_id=email_id)
    except OutboxDeliveryError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries + 1).total_seconds()) from exc


@shared_task(acks_late=True)
def outbox_send_batch_task(*, email_ids: list[int]) -> int:
    """Send a bulk send's rows over one SMTP connection, claimed and recorded in bulk; failures are
    left to the beat's flush (each row records its own attempt and back-off). Redelivery is safe:
    sent rows are skipped, rows a crash left unrecorded are sent again with the same Message-ID."""
    from core.mail import outbox_send_batch

    return outbox_send_batch(email_ids=email_ids)


@shared_task
def outbox_flush_task() -> int:
    """Beat: re-send what is still pending or failed (covers a worker lost mid-retry)."""
    from core.mail import outbox_flush

    return outbox_flush()


@shared_task(acks_late=True)
def export_build_task(*, job_id: int) -> None:
    """Build one export file; the service records a failure on the job itself."""
    from core.exports import export_build

    export_build(job_id=job_id)


@shared_task
def export_expire_task() -> int:
    """Beat: delete expired export files, and settle jobs a lost worker left behind."""
    from core.exports import export_expire, export_recover

    return export_expire() + export_recover()


@shared_task
def form_submissions_purge_task() -> int:
    """Beat: forget form submission keys older than a day (a resent form that old is a new one)."""
    from datetime import timedelta

    from django.utils import timezone

    from core.models import FormSubmission

    deleted, _ = FormSubmission.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
