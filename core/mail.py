"""The e-mail outbox. STUB: the real implementation replaces this module (same signatures)."""
from django.db import transaction
from django.template.loader import render_to_string

from core.models import OutgoingEmail


class OutboxDeliveryError(Exception):
    """SMTP refused or could not be reached; the row stays in the outbox for a retry."""


def send_templated_mail(*, to: str, template: str, context: dict) -> OutgoingEmail:
    """Queue an e-mail rendered from `<template>_subject.txt`, `<template>.txt` and (optional)
    `<template>.html`; it is sent by a Celery task after the current transaction commits."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    email = OutgoingEmail.objects.create(to=to, subject=subject,
                                         body_text=render_to_string(f"{template}.txt", context))
    from core.tasks import outbox_send_task

    transaction.on_commit(lambda: outbox_send_task.delay(email_id=email.pk))
    return email


def outbox_send(*, email_id: int) -> None:
    raise NotImplementedError


def outbox_flush() -> int:
    return 0
