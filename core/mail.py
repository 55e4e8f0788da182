"""The e-mail outbox: every e-mail is an `OutgoingEmail` row first, written in the caller's
transaction, then sent by a Celery task after commit. A failed send leaves the row in the outbox;
the task retries it with back-off and the beat's `outbox_flush` picks up whatever is left."""
import itertools
import logging
import secrets
import smtplib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape as html_escape
from kombu.exceptions import OperationalError as BrokerError

from core.bulk import copy_insert
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


def slot(name: str) -> str:
    """A per-recipient value's place in a bulk message's shared context (see BulkMessage): private
    use characters, which neither escaping nor the e-mail templates change."""
    return f"\ue000{name}\ue001"


@dataclass(frozen=True)
class BulkMessage:
    """One e-mail of a bulk send. Messages of one `group` differ only by their `values` (names,
    links, numbers the template merely prints): the group is rendered once from `stamp_context`,
    where each such value is written as `slot(name)`, and each message is that render with its
    values put in (escaped in the HTML part, as the template would). The first message of every
    group is also rendered in full from its own `context`; if the two differ (a template that does
    more with a value than print it), the group is rendered message by message."""

    to: str
    context: dict
    group: Hashable
    stamp_context: dict
    values: dict[str, str]


def send_templated_mail(*, to: str, template: str, context: dict) -> OutgoingEmail:
    """Queue an e-mail rendered from `<template>_subject.txt`, `<template>.txt` and (optional)
    `<template>.html`; it is sent by a Celery task after the current transaction commits.
    E-mails are always in the interface's default language (Russian), whatever the request's."""
    email = render_templated_mail(to, template, context)
    email.save()
    _enqueue(email.pk)
    return email


def send_templated_mail_bulk(*, template: str, messages: Iterable[tuple[str, dict] | BulkMessage],
                             stamps: dict | None = None) -> list[OutgoingEmail]:
    """`send_templated_mail` for many e-mails of one template (a feed's invitations): rendered
    the same way (`render_templated_mail_many`, with `stamps`), written with one INSERT, sent by
    tasks of SEND_BATCH rows after commit."""
    emails = copy_insert(render_templated_mail_many(template, messages, stamps))
    ids = [email.pk for email in emails]
    transaction.on_commit(lambda: _publish_batches(ids))
    return emails


def render_templated_mail_many(template: str, messages: Iterable[tuple[str, dict] | BulkMessage],
                               stamps: dict | None = None) -> list[OutgoingEmail]:
    """Unsaved outbox rows for `messages` — `(to, context)` pairs or BulkMessages — in order, each
    exactly what `render_templated_mail` gives for it. 100,000 invitations through the template
    engine one by one took 80 s of a feed's import; stamped, a few hundred renders.

    `stamps` keeps the groups' renders between calls of one bulk send (a feed's batches of one
    file), so that a group is rendered once per send, not once per call: with 500 groups a batch
    of 1,000 rows was rendered 1,000 times, two thirds of an import's time."""
    shared: dict[Hashable, OutgoingEmail | None] = {} if stamps is None else stamps
    emails = []
    for message in messages:
        if not isinstance(message, BulkMessage):
            to, context = message
            emails.append(render_templated_mail(to, template, context))
            continue
        # An empty value may take another branch of the template ({% if user_name %}): its own group.
        key = (template, message.group,
               tuple(sorted((name, bool(value)) for name, value in message.values.items())))
        if key not in shared:
            stamp = render_templated_mail(message.to, template, message.stamp_context)
            reference = render_templated_mail(message.to, template, message.context)
            shared[key] = stamp if _stamped(stamp, message.values) == _parts(reference) else None
            if shared[key] is None:
                logger.warning("mail %s: a group does not stamp, rendered message by message", template)
        if shared[key] is None:
            emails.append(render_templated_mail(message.to, template, message.context))
            continue
        validate_email(message.to)
        subject, body_text, body_html = _stamped(shared[key], message.values)
        emails.append(OutgoingEmail(to=message.to, subject=subject, body_text=body_text, body_html=body_html))
    return emails


def _parts(email: OutgoingEmail) -> tuple[str, str, str]:
    return email.subject, email.body_text, email.body_html


def _stamped(shared: OutgoingEmail, values: dict[str, str]) -> tuple[str, str, str]:
    """The group's render with one message's values in place of their slots."""
    subject, body_text, body_html = _parts(shared)
    for name, value in values.items():
        marker, value = slot(name), str(value)
        subject = subject.replace(marker, " ".join(value.split()))  # as render_templated_mail does
        body_text, body_html = body_text.replace(marker, value), body_html.replace(marker, html_escape(value))
    return subject[:255], body_text, body_html


def render_templated_mail(to: str, template: str, context: dict) -> OutgoingEmail:
    """An unsaved outbox row for `to`, rendered in the default language (also a send's preview)."""
    validate_email(to)
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        body_text = _render_plain(f"{template}.txt", context).strip() + "\n"
        body_html = _render_html(f"{template}.html", context)
    return OutgoingEmail(to=to, subject=subject[:255], body_text=body_text, body_html=body_html)


def outbox_send(*, email_id: int) -> bool:
    """Send one outbox row unless it is already sent or another worker holds it; True if this
    call sent it. Raises OutboxDeliveryError (the row is then `failed`) when SMTP fails.

    The row lock is the claim: it is held while SMTP talks (bounded by EMAIL_TIMEOUT), so two
    workers can never both send a row; the second skips it, and a later run sees `sent`.
    """
    smtp = _SmtpSession()
    try:
        sent, failed = _send_claimed([email_id], smtp)
    finally:
        smtp.close()
    if sent:
        return True
    if not failed:
        return False
    raise OutboxDeliveryError(failed[0].last_error)


def outbox_send_batch(*, email_ids: Iterable[int]) -> int:
    """Send several rows over one SMTP connection, SEND_BATCH rows per transaction: each chunk is
    claimed with one locking SELECT and its outcomes written with one or two UPDATEs (see
    `_send_claimed`); a row that fails records its own attempt and back-off and is left to the
    beat's flush, the others are sent. Returns the number sent."""
    email_ids = list(email_ids)
    sent = 0
    smtp = _SmtpSession()
    try:
        for start in range(0, len(email_ids), SEND_BATCH):
            sent += len(_send_claimed(email_ids[start:start + SEND_BATCH], smtp)[0])
    finally:
        smtp.close()
    return sent


def _send_claimed(email_ids: list[int], smtp: "_SmtpSession") -> tuple[list[OutgoingEmail], list[OutgoingEmail]]:
    """Claim, send and record the rows of `email_ids` that are not sent yet; returns (sent, failed).

    One transaction: the rows are locked with one `SELECT … FOR UPDATE SKIP LOCKED` (rows another
    worker holds are skipped, not waited for), sent one by one over `smtp`, and the outcomes written
    with one UPDATE for the sent rows and one for the failed ones before the commit. Per-row
    transactions made four database round trips and a commit per e-mail — most of a bulk send's
    time. A crash before the commit releases the locks with nothing recorded: those rows are sent
    again on redelivery (at least once), with the same Message-ID, which the receiver de-duplicates.
    """
    with transaction.atomic():
        emails = list(OutgoingEmail.objects.select_for_update(skip_locked=True)
                      .filter(pk__in=email_ids).exclude(status=OutgoingEmail.Status.SENT).order_by("pk"))
        if not emails:
            return [], []
        fault_point("outbox_send", "before_side_effect")
        sent, failed = [], []
        for email in emails:
            try:
                smtp.send(email)
            except (smtplib.SMTPException, OSError) as exc:
                email.mark_failed(f"{type(exc).__name__}: {exc}",
                                  retry_at=timezone.now() + retry_delay(email.attempts + 1))
                failed.append(email)
            else:
                email.mark_sent()
                sent.append(email)
        _record_outcomes(sent, failed)
        # A crash here sends the e-mails again on redelivery, with the same Message-IDs (at least once).
        fault_point("outbox_send", "after_side_effect_before_commit")
    for email in failed:
        if email.attempts >= MAX_ATTEMPTS:
            logger.error("outbox: e-mail %s gave up after %s attempts: %s", email.pk, email.attempts,
                         email.last_error)
    return sent, failed


def _record_outcomes(sent: list[OutgoingEmail], failed: list[OutgoingEmail]) -> None:
    """Write what `mark_sent`/`mark_failed` did to the locked rows: the sent rows differ only in
    their attempt count (one more than the locked row's, hence `F() + 1`) and share the batch's
    `sent_at`; the failed ones (rare) carry their own errors and back-offs."""
    if sent:
        sent_at = timezone.now()
        for email in sent:
            email.sent_at = sent_at
        OutgoingEmail.objects.filter(pk__in=[email.pk for email in sent]).update(
            status=OutgoingEmail.Status.SENT, sent_at=sent_at, attempts=F("attempts") + 1, last_error="",
            next_attempt_at=None)
    if failed:
        OutgoingEmail.objects.bulk_update(failed, ["status", "attempts", "last_error", "next_attempt_at"])


class _SmtpSession:
    """The SMTP connection of one task, shared by its sends: opened by the first send, and opened
    afresh after a failed one (the server may have dropped it, or the dialogue is in an unknown
    state). If it cannot be opened at all, the task's remaining sends fail at once with that error,
    instead of each waiting up to EMAIL_TIMEOUT for an unreachable or hung server."""

    def __init__(self):
        self.connection = None
        self.unreachable: Exception | None = None

    def send(self, email: OutgoingEmail) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        if self.connection is None:
            self.connection = _connection()
            try:
                self.connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                logger.warning("outbox: SMTP connection failed (%s: %s)", type(exc).__name__, exc)
                self.unreachable = exc
                self._drop()  # e.g. connected, but STARTTLS refused: the socket is still open
                raise
        try:
            _deliver(email, self.connection)
        except BaseException:
            self._drop()
            raise

    def close(self) -> None:
        """QUIT politely after a run of good sends; a server that fails even that is just dropped."""
        if self.connection is not None:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                self._drop()
            self.connection = None

    def _drop(self) -> None:
        """Close the socket without a QUIT: after a failure the server may not answer one."""
        connection, self.connection = self.connection, None
        raw = getattr(connection, "connection", None)  # the SMTP backend's smtplib.SMTP, if any
        if raw is not None:
            raw.close()
            connection.connection = None
        elif connection is not None:
            connection.close()


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
    """`_publish` for a bulk send: one task per SEND_BATCH rows at most, the same fallback to the relay."""
    from core.tasks import outbox_send_batch_task

    for start, end in _batches(len(email_ids)):
        try:
            outbox_send_batch_task.delay(email_ids=email_ids[start:end])
        except (BrokerError, OSError) as error:
            _leave_to_relay(email_ids[start:], error)
            return


def _batches(total: int) -> list[tuple[int, int]]:
    """(start, end) of at most SEND_BATCH rows each, of even sizes: 150 rows are two tasks of 75,
    not 100 and 50, so that two worker processes finish together."""
    count = -(-total // SEND_BATCH)
    bounds = [total * i // count for i in range(count + 1)] if count else [0]
    return list(itertools.pairwise(bounds))


def _leave_to_relay(email_ids: list[int], error: Exception) -> None:
    logger.warning("outbox: broker unavailable (%s), %d e-mail(s) left to the relay: %s",
                   type(error).__name__, len(email_ids), email_ids)
    OutgoingEmail.objects.filter(pk__in=email_ids, status=OutgoingEmail.Status.PENDING,
                                 next_attempt_at__isnull=True).update(next_attempt_at=timezone.now())


def _connection():
    return get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)


class _OutboxMessage(EmailMultiAlternatives):
    """An outbox e-mail whose MIME boundary is drawn here: the email package would compile a
    regular expression per message to check its own candidate against the text (a sixth of
    building a message, py-spy); 128 random bits do not occur in the text by chance."""

    def message(self):
        message = super().message()
        if message.is_multipart():
            message.set_boundary(f"==============={secrets.token_hex(16)}==")
        return message


def _deliver(email: OutgoingEmail, connection=None) -> None:
    message = _OutboxMessage(
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
