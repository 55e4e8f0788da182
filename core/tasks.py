"""Celery tasks of the building blocks: each takes primary keys and calls a service."""
from celery import shared_task


@shared_task(acks_late=True, bind=True, max_retries=None)
def outbox_send_task(self, *, email_id: int) -> None:
    """Send one outbox e-mail; on an SMTP failure retry with exponential back-off (up to an hour)."""
    from core.mail import OutboxDeliveryError, outbox_send

    try:
        outbox_send(email_id=email_id)
    except OutboxDeliveryError as exc:
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2 ** self.request.retries)) from exc


@shared_task
def outbox_flush_task() -> int:
    """Beat: re-send what is still pending or failed (covers a worker lost mid-retry)."""
    from core.mail import outbox_flush

    return outbox_flush()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def export_build_task(*, job_id: int) -> None:
    from core.exports import export_build

    export_build(job_id=job_id)


@shared_task
def export_expire_task() -> int:
    from core.exports import export_expire

    return export_expire()
