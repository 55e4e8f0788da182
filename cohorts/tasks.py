"""Celery tasks of the cohort's reporting documents: each takes a primary key and calls a service."""
from celery import shared_task

RENDER_OPTIONS = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RENDER_OPTIONS)
def cohort_document_render_task(*, document_id: int) -> None:
    """Render an assignment's, act's or employment report's PDF."""
    from cohorts.services.documents import cohort_document_render

    cohort_document_render(document_id=document_id)


@shared_task(**RENDER_OPTIONS)
def act_archive_task(*, document_id: int) -> None:
    """Build an act's document archive (a ZIP streamed to storage)."""
    from cohorts.services.acts import act_archive_entries
    from documents.services import document_package

    document_package(document_id=document_id, entries_builder=act_archive_entries)
