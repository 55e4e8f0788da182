"""Celery tasks of the partner's side of applications: each takes primary keys (or nothing, for the
beat) and calls a service. All are idempotent: rendering skips a document that is no longer
pending, the overdue mark runs once per document, and reminders are recorded as history rows.
"""
from celery import shared_task

RENDER_OPTIONS = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RENDER_OPTIONS)
def blank_render_task(*, document_id: int) -> None:
    """Render one enrolment blank's PDF."""
    from enrollment.services.blanks import blank_render

    blank_render(document_id=document_id)


@shared_task(acks_late=True)
def documents_mark_overdue_task() -> int:
    """Beat: documents not checked by their cohort's check day become overdue."""
    from enrollment.services.deadlines import documents_mark_overdue

    return documents_mark_overdue()


@shared_task(acks_late=True)
def upload_reminders_task() -> int:
    """Beat: remind citizens the day before their enrolment-documents upload deadline."""
    from enrollment.services.deadlines import upload_reminders_send

    return upload_reminders_send()


@shared_task(acks_late=True)
def check_reminders_task() -> int:
    """Beat: remind partner staff of document checks due today or on the next working day."""
    from enrollment.services.deadlines import check_reminders_send

    return check_reminders_send()


@shared_task(acks_late=True)
def storage_reconcile_task() -> int:
    """Beat: delete stored files no row points to (personal data nobody can reach, UPL-08)."""
    from enrollment.services.uploads import storage_reconcile

    return len(storage_reconcile().deleted)
