"""Two workers on one outbox row (PostgreSQL row locks): exactly one of them sends it."""
import threading

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection

from core.mail import outbox_send
from core.models import OutgoingEmail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_row_being_sent_is_skipped_by_a_second_worker(monkeypatch):
    email = OutgoingEmail.objects.create(to="ivanov@example.org", subject="Приглашение", body_text="Текст")
    sending, release = threading.Event(), threading.Event()
    original_send = EmailMultiAlternatives.send

    def slow_send(message, *args, **kwargs):
        sending.set()
        release.wait(10)
        return original_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", slow_send)
    results = {}

    def first_worker():
        try:
            results["first"] = outbox_send(email_id=email.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert sending.wait(10)
    results["second"] = outbox_send(email_id=email.pk)  # the row is locked: skipped at once
    release.set()
    thread.join(10)

    assert results == {"first": True, "second": False}
    assert len(mail.outbox) == 1
    assert outbox_send(email_id=email.pk) is False  # and a late retry finds it sent
    assert OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT
