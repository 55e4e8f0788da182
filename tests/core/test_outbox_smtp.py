"""Acceptance: with SMTP unreachable an e-mail stays in the outbox; once a real SMTP server
(aiosmtpd, local) is up, the flush delivers it exactly once and a repeated task sends nothing."""
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from core.mail import outbox_flush, send_templated_mail
from core.models import OutgoingEmail
from core.tasks import outbox_send_task

pytestmark = pytest.mark.django_db


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here yet
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def smtp_server():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    controller.stop()


def test_an_email_survives_an_smtp_outage_and_is_delivered_exactly_once(
        smtp_settings, smtp_server, django_capture_on_commit_callbacks):
    controller, sink = smtp_server
    with django_capture_on_commit_callbacks(execute=True):
        email = send_templated_mail(to="new.staff@example.org", template="emails/core/notice", context={
            "subject": "Приглашение в Flow", "user_name": "Анна",
            "text": "Вас пригласили работать в Flow от имени организации «Партнёр А».",
            "action_url": "https://flow.example.org/accounts/invite/token/", "action_label": "Принять приглашение",
        })

    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert sink.envelopes == []

    smtp_settings.EMAIL_PORT = controller.port  # SMTP is back
    OutgoingEmail.objects.filter(pk=email.pk).update(  # as if the beat ran a few minutes later
        created_at=timezone.now() - timedelta(minutes=5), next_attempt_at=timezone.now())
    assert outbox_flush() == 1
    outbox_send_task.delay(email_id=email.pk)  # a late retry of the first task
    assert outbox_flush() == 0

    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    [envelope] = sink.envelopes
    assert envelope.rcpt_tos == ["new.staff@example.org"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "Приглашение в Flow"
    assert message["Message-ID"].startswith(f"<outbox.{email.pk}.")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Здравствуйте, Анна!" in text
    assert "Принять приглашение: https://flow.example.org/accounts/invite/token/" in text
    assert '<a href="https://flow.example.org/accounts/invite/token/"' in html
