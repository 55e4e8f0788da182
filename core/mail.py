"""The e-mail outbox: every e-mail is an `OutgoingEmail` row first, written in the caller's
transaction, then sent by a Celery task after commit. A failed send leaves the row in the outbox;
the task retries it with back-off and the beat's `outbox_flush` picks up whatever is left."""
import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from core.faults import fault_point
from core.models import OutgoingEmail

logger = logging.getLogger(__name__)

# After this many attempts the beat stops retrying a row; it stays `failed` for the admin's
# "Отправить повторно" action (a retry storm against a refused address helps nobody).
MAX_ATTEMPTS = 20
FLUSH_BATCH = 200
# A bulk send (a feed's invitations) is queued as tasks of this many rows, each sent over one SMTP
# connection: a Redis publish and an SMTP handshake per e-mail were most of a 100,000-row import.
SEND_BATCH = 100
# The flush leaves fresh rows to the task enqueued on commit.
FLUSH_GRACE = timedelta(minutes=1)


class OutboxDeliveryError(Exception):
    """SMTP refused or could not be reached; the row stays in the outbox for a retry."""


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after `attempts` failures: 30 s, 1 min, 2 min, … up to an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def send_templated_mail(*, to: str, template: str, context: dict) -> OutgoingEmail:
    """Queue an e-mail rendered from `<template>_subject.txt`, `<template>.txt` and (optional)
    `<template>.html`; it is sent by a Celery task after the current transaction commits.
    E-mails are always in the interface's default language (Russian), whatever the request's."""
    email = render_templated_mail(to, template, context)
    email.save()
    _enqueue(email.pk)
    return email


def send_templated_mail_bulk(*, template: str, messages: Iterable[tuple[str, dict]]) -> list[OutgoingEmail]:
    """`send_templated_mail` for many e-mails of one template (a feed's invitations): rendered
    the same way, written with one INSERT, each sent by its own task after commit."""
    emails = OutgoingEmail.objects.bulk_create([render_templated_mail(to, template, context)
                                                for to, context in messages])
    ids = [email.pk for email in emails]
    transaction.on_commit(lambda: _publish_batches(ids))
    return emails


def render_templated_mail(to: str, template: str, context: dict) -> OutgoingEmail:
    """An unsaved outbox row for `to`, rendered in the default language (also a send's preview)."""
    validate_email(to)
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        body_text = _render_plain(f"{template}.txt", context).strip() + "\n"
        body_html = _render_html(f"{template}.html", context)
    return OutgoingEmail(to=to, subject=subject[:255], body_text=body_text, body_html=body_html)


def outbox_send(*, email_id: int, connection=None) -> bool:
    """Send one outbox row unless it is already sent or another worker holds it; True if this
    call sent it. Raises OutboxDeliveryError (the row is then `failed`) when SMTP fails.
    `connection`: an open SMTP connection to reuse (a batch); by default one of its own.

    The row lock is the claim: it is held while SMTP talks (bounded by EMAIL_TIMEOUT), so two
    workers can never both send a row; the second skips it, and a later run sees `sent`.
    """
    with transaction.atomic():
        email = (OutgoingEmail.objects.select_for_update(skip_locked=True)
                 .filter(pk=email_id).exclude(status=OutgoingEmail.Status.SENT).first())
        if email is None:
            return False
        fault_point("outbox_send", "before_side_effect")
        try:
            _deliver(email, connection)
        except (smtplib.SMTPException, OSError) as exc:
            email.mark_failed(f"{type(exc).__name__}: {exc}",
                              retry_at=timezone.now() + retry_delay(email.attempts + 1))
        else:
            email.mark_sent()
        email.save()
        # A crash here sends the e-mail again on redelivery, with the same Message-ID (at least once).
        fault_point("outbox_send", "after_side_effect_before_commit")
    if email.status == OutgoingEmail.Status.SENT:
        return True
    if email.attempts >= MAX_ATTEMPTS:
        logger.error("outbox: e-mail %s gave up after %s attempts: %s", email.pk, email.attempts,
                     email.last_error)
    raise OutboxDeliveryError(email.last_error)


def outbox_send_batch(*, email_ids: Iterable[int]) -> int:
    """Send several rows over one SMTP connection, each exactly as `outbox_send` does (row lock,
    fault points, failure recorded on the row); a row that fails is left to the beat's flush and
    the connection is opened afresh for the next. Returns the number sent."""
    sent = 0
    connection = _open_connection()
    try:
        for email_id in email_ids:
            try:
                sent += outbox_send(email_id=email_id, connection=connection)
            except OutboxDeliveryError:
                connection.close()
                connection = _open_connection()
    finally:
        connection.close()
    return sent


def outbox_flush() -> int:
    """Beat: send pending or failed rows that are due, oldest first, in a bounded batch.
    Returns the number sent."""
    now = timezone.now()
    # A row whose task could not be queued (broker down) is due at once: `_publish` marked it.
    due = (OutgoingEmail.objects
           .filter(status__in=[OutgoingEmail.Status.PENDING, OutgoingEmail.Status.FAILED],
                   attempts__lt=MAX_ATTEMPTS)
           .filter(Q(created_at__lte=now - FLUSH_GRACE) | Q(next_attempt_at__lte=now))
           .exclude(next_attempt_at__gt=now)
           .order_by("created_at", "pk")
           .values_list("pk", flat=True)[:FLUSH_BATCH])
    return outbox_send_batch(email_ids=list(due))


def outbox_requeue(*, email_ids: Iterable[int]) -> int:
    """Queue failed rows for another attempt now (the admin's "Отправить повторно").
    Returns how many rows were queued."""
    with transaction.atomic():
        ids = list(OutgoingEmail.objects.select_for_update()
                   .filter(pk__in=list(email_ids), status=OutgoingEmail.Status.FAILED)
                   .values_list("pk", flat=True))
        OutgoingEmail.objects.filter(pk__in=ids).update(next_attempt_at=None)
        for email_id in ids:
            _enqueue(email_id)
    return len(ids)


def _enqueue(email_id: int) -> None:
    transaction.on_commit(lambda: _publish(email_id))


def _publish(email_id: int) -> None:
    """Queue the row's send task, after commit. The rows are committed already, so a broker that
    is down (§4 R2) must not turn the user's successful request into an error: the rows stay
    `pending`, marked due now, and the beat's `outbox_flush` (the relay) sends them once the queue
    is back. Sending twice is impossible either way (the row lock in `outbox_send`)."""
    from core.tasks import outbox_send_task

    try:
        outbox_send_task.delay(email_id=email_id)
    except (BrokerError, OSError) as error:
        _leave_to_relay([email_id], error)


def _publish_batches(email_ids: list[int]) -> None:
    """`_publish` for a bulk send: one task per SEND_BATCH rows, the same fallback to the relay."""
    from core.tasks import outbox_send_batch_task

    for start in range(0, len(email_ids), SEND_BATCH):
        try:
            outbox_send_batch_task.delay(email_ids=email_ids[start:start + SEND_BATCH])
        except (BrokerError, OSError) as error:
            _leave_to_relay(email_ids[start:], error)
            return


def _leave_to_relay(email_ids: list[int], error: Exception) -> None:
    logger.warning("outbox: broker unavailable (%s), %d e-mail(s) left to the relay: %s",
                   type(error).__name__, len(email_ids), email_ids)
    OutgoingEmail.objects.filter(pk__in=email_ids, status=OutgoingEmail.Status.PENDING,
                                 next_attempt_at__isnull=True).update(next_attempt_at=timezone.now())


def _connection():
    return get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)


def _open_connection():
    """A connection opened now, to be reused by several sends; if the server cannot be reached it
    is returned closed, and each send then tries (and records its failure on its row) by itself."""
    connection = _connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("outbox: SMTP connection failed (%s: %s)", type(exc).__name__, exc)
    return connection


def _deliver(email: OutgoingEmail, connection=None) -> None:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": _message_id(email)},
        connection=connection or _connection(),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send()


def _message_id(email: OutgoingEmail) -> str:
    """The same Message-ID on every attempt, so a receiving server can drop a duplicate."""
    domain = urlsplit(settings.SITE_URL).hostname or "flow.local"
    return f"<outbox.{email.pk}.{int(email.created_at.timestamp())}@{domain}>"


def _render_plain(name: str, context: dict) -> str:
    """Plain text is not HTML: render without autoescaping (no `&amp;` in subjects)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def _render_html(name: str, context: dict) -> str:
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return ""
    return template.render(context)
