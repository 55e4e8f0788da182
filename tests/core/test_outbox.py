"""The outbox: rows first, sent after commit, idempotent sends, eager tasks that do not loop,
the beat's flush and the admin's "Отправить повторно"."""
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.mail import MAX_ATTEMPTS, OutboxDeliveryError, outbox_flush, outbox_requeue, outbox_send, send_templated_mail
from core.models import OutgoingEmail
from core.tasks import outbox_send_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOTICE = "emails/core/notice"


def queue_notice(to="ivanov@example.org", **context):
    context = {"subject": "Приглашение в Flow", "text": "Вас пригласили в Flow.",
               "action_url": "https://flow.example.org/accounts/invite/abc/", "action_label": "Принять",
               "user_name": "Иван", **context}
    return send_templated_mail(to=to, template=NOTICE, context=context)


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)


def age(email, minutes=2):
    """Make a row look as if it were queued `minutes` ago and due for another attempt."""
    past = timezone.now() - timedelta(minutes=minutes)
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=past, next_attempt_at=past)


def test_it_writes_the_row_and_sends_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        email = queue_notice(subject="Приглашение: «Т&К»")
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.subject == "Приглашение: «Т&К»"  # plain text is not HTML-escaped
    assert "Здравствуйте, Иван!" in email.body_text
    assert "Принять: https://flow.example.org/accounts/invite/abc/" in email.body_text
    assert '<a href="https://flow.example.org/accounts/invite/abc/"' in email.body_html
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_the_task_sends_text_with_an_html_alternative(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_notice()
    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    [message] = mail.outbox
    assert message.subject == "Приглашение в Flow"
    assert message.to == ["ivanov@example.org"]
    assert message.body == email.body_text
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Вас пригласили в Flow." in html
    assert message.extra_headers["Message-ID"].startswith(f"<outbox.{email.pk}.")


def test_sending_twice_sends_once():
    email = queue_notice()
    assert outbox_send(email_id=email.pk) is True
    assert outbox_send(email_id=email.pk) is False
    outbox_send_task.delay(email_id=email.pk)
    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_the_row_in_the_outbox(smtp_down):
    email = queue_notice()
    with pytest.raises(OutboxDeliveryError):
        outbox_send(email_id=email.pk)
    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert email.next_attempt_at > timezone.now()


def test_the_eager_task_does_not_retry_in_a_loop(smtp_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_notice()
    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 1


def test_flush_sends_due_rows_and_leaves_fresh_ones_to_their_task():
    due, fresh = queue_notice(to="due@example.org"), queue_notice(to="fresh@example.org")
    age(due)
    assert outbox_flush() == 1
    assert [m.to for m in mail.outbox] == [["due@example.org"]]
    fresh = OutgoingEmail.objects.get(pk=fresh.pk)
    assert fresh.status == OutgoingEmail.Status.PENDING


def test_flush_waits_for_the_back_off_and_gives_up_after_max_attempts():
    waiting, exhausted = queue_notice(to="waiting@example.org"), queue_notice(to="dead@example.org")
    age(waiting)
    OutgoingEmail.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    age(exhausted)
    OutgoingEmail.objects.filter(pk=exhausted.pk).update(attempts=MAX_ATTEMPTS)
    assert outbox_flush() == 0
    assert mail.outbox == []


def test_flush_counts_a_failure_without_raising(smtp_down):
    email = queue_notice()
    age(email)
    assert outbox_flush() == 0
    email = OutgoingEmail.objects.get(pk=email.pk)
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, 1)


def test_requeue_takes_failed_rows_only(smtp_down, django_capture_on_commit_callbacks, monkeypatch):
    failed, pending = queue_notice(to="failed@example.org"), queue_notice(to="pending@example.org")
    with pytest.raises(OutboxDeliveryError):
        outbox_send(email_id=failed.pk)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert outbox_requeue(email_ids=[failed.pk, pending.pk]) == 1
    assert len(callbacks) == 1
    failed = OutgoingEmail.objects.get(pk=failed.pk)
    assert failed.status == OutgoingEmail.Status.SENT
    assert failed.attempts == 2


def test_a_header_injection_in_the_subject_is_flattened():
    email = queue_notice(subject="Привет\r\nBcc: victim@example.org")
    outbox_send(email_id=email.pk)
    [message] = mail.outbox
    assert message.subject == "Привет Bcc: victim@example.org"
    assert message.bcc == []
    assert "\nBcc:" not in message.message().as_string()


def test_an_invalid_address_is_refused_before_anything_is_queued():
    with pytest.raises(ValidationError):
        queue_notice(to="a@example.org\r\nBcc: victim@example.org")
    assert not OutgoingEmail.objects.exists()


def test_the_admin_resend_action_requeues_failed_rows(client, smtp_down, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    email = queue_notice()
    with pytest.raises(OutboxDeliveryError):
        outbox_send(email_id=email.pk)
    monkeypatch.undo()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:core_outgoingemail_changelist"),
                               {"action": "resend", "_selected_action": [email.pk]}, follow=True)
    assert response.status_code == 200
    assert "Поставлено в очередь на отправку писем: 1." in response.content.decode()
    email = OutgoingEmail.objects.get(pk=email.pk)
    assert email.status == OutgoingEmail.Status.SENT


def test_the_admin_lists_the_outbox_read_only(client):
    queue_notice()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:core_outgoingemail_changelist"), {"q": "ivanov", "status": "pending"})
    assert response.status_code == 200
    assert "Приглашение в Flow" in response.content.decode()
    assert client.get(reverse("admin:core_outgoingemail_add")).status_code == 403
