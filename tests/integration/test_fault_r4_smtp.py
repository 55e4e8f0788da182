"""§4 R4: SMTP down, refusing, hung, and without STARTTLS; then back. The outbox keeps every e-mail
with its attempts and back-off, never sends one in plaintext (CFG-10), never waits past EMAIL_TIMEOUT,
and after recovery delivers each row exactly once (checked by Message-ID at the sink: I2, I4)."""
import logging
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from core.mail import MAX_ATTEMPTS, OutboxDeliveryError, _message_id, outbox_flush, outbox_send
from core.models import OutgoingEmail
from tests.integration.faults import SilentServer, SmtpSink, free_port, self_signed_certificate

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EMAIL_TIMEOUT = 2


def _smtp(port: int):
    """Production's e-mail settings (smtp+tls://, certificate verified) pointed at a loopback port."""
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                             EMAIL_PORT=port, EMAIL_USE_TLS=True, EMAIL_USE_SSL=False, EMAIL_HOST_USER="",
                             EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=EMAIL_TIMEOUT)


def _try_all(emails) -> list[str]:
    errors = []
    for email in emails:
        with pytest.raises(OutboxDeliveryError) as raised:
            outbox_send(email_id=email.pk)
        errors.append(str(raised.value))
    return errors


def _rows(emails):
    return list(OutgoingEmail.objects.filter(pk__in=[e.pk for e in emails]).order_by("pk"))


def test_r4_smtp_faults_lose_nothing_send_nothing_in_plaintext_and_deliver_once(tmp_path, monkeypatch, invariant):
    cert = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # the client trusts the sink's certificate, and only it
    emails = [OutgoingEmail.objects.create(to=f"citizen{i}@example.org", subject=f"Письмо {i}",
                                           body_text="Ваше заявление принято.") for i in range(3)]
    start = timezone.now()

    # 1. Down: nothing listens. Each row is `failed` with one attempt and a 30 s back-off.
    down_port = free_port()
    with _smtp(down_port):
        errors = _try_all(emails)
        assert all("ConnectionRefused" in error for error in errors)
        rows = _rows(emails)
        assert {row.status for row in rows} == {OutgoingEmail.Status.FAILED}
        assert [row.attempts for row in rows] == [1, 1, 1]
        assert all(timedelta(seconds=25) < row.next_attempt_at - start < timedelta(seconds=40) for row in rows)
        # The relay respects the back-off: nothing is due yet.
        assert outbox_flush() == 0
        assert [row.attempts for row in _rows(emails)] == [1, 1, 1]

    # 2. A server that answers 451 to every recipient: still failed, the back-off doubles.
    with SmtpSink(cert=cert, refuse=True) as refusing, _smtp(refusing.port), \
            time_machine.travel(start + timedelta(minutes=2), tick=True):
        assert outbox_flush() == 0
        rows = _rows(emails)
        assert [row.attempts for row in rows] == [2, 2, 2]
        assert all("451" in row.last_error for row in rows)
        assert all(timedelta(seconds=50) < row.next_attempt_at - timezone.now() < timedelta(seconds=70)
                   for row in rows)
        assert refusing.received == []

    # 3. A hung server: the worker gives up after EMAIL_TIMEOUT, it does not block.
    hung = SilentServer()
    try:
        with _smtp(hung.port):
            began = time.monotonic()
            with pytest.raises(OutboxDeliveryError, match="timed out"):
                outbox_send(email_id=emails[0].pk)
            waited = time.monotonic() - began
        assert waited < EMAIL_TIMEOUT + 2
    finally:
        hung.close()

    # 4. A server that does not offer STARTTLS (a downgrade): the send fails, nothing in plaintext.
    with SmtpSink(cert=None) as plaintext, _smtp(plaintext.port):
        errors = _try_all(emails)
        assert all("STARTTLS" in error for error in errors), errors
        assert plaintext.received == []
        assert {row.status for row in _rows(emails)} == {OutgoingEmail.Status.FAILED}

    # 5. Recovery: a proper TLS server. The relay delivers each row once; running it again, and the
    # per-row task again (a redelivered task), delivers nothing more.
    with SmtpSink(cert=cert) as sink, _smtp(sink.port), time_machine.travel(start + timedelta(hours=2), tick=True):
        assert outbox_flush() == 3
        assert outbox_flush() == 0
        assert [outbox_send(email_id=email.pk) for email in emails] == [False, False, False]
        rows = _rows(emails)
        counts = Counter(sink.message_ids())
        expected = {_message_id(row) for row in rows}
        assert set(counts) == expected
        assert set(counts.values()) == {1}
        assert all(item["tls"] for item in sink.received)
        assert {row.status for row in rows} == {OutgoingEmail.Status.SENT}
        attempts = [row.attempts for row in rows]

    invariant(f"R4 invariant: {len(rows)} outbox rows, 0 lost (all sent after recovery), "
          f"{sum(counts.values())} delivered / {len(counts)} distinct Message-IDs (0 duplicates), "
          f"0 plaintext deliveries to the no-STARTTLS server, hung server abandoned after {waited:.1f} s "
          f"(EMAIL_TIMEOUT={EMAIL_TIMEOUT}), attempts per row {attempts}")


def test_r4_a_row_that_keeps_failing_stops_at_max_attempts_with_an_error_logged(caplog, invariant):
    email = OutgoingEmail.objects.create(to="never@example.org", subject="Письмо", body_text="Текст.")
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=MAX_ATTEMPTS - 1)
    with _smtp(free_port()), caplog.at_level(logging.ERROR, logger="core.mail"), pytest.raises(OutboxDeliveryError):
        outbox_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, MAX_ATTEMPTS)
    assert any("gave up after" in record.getMessage() for record in caplog.records)  # the alert
    with time_machine.travel(timezone.now() + timedelta(days=1)), _smtp(free_port()):
        assert outbox_flush() == 0  # the relay leaves it to the admin's "Отправить повторно"
    email.refresh_from_db()
    assert email.attempts == MAX_ATTEMPTS  # kept, not lost, not retried for ever
    invariant(f"R4 invariant (dead row): stopped at {email.attempts} attempts, status failed, error logged, "
              f"kept for a manual resend, 0 lost")
