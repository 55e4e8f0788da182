from celery import shared_task

from documents.services import documents_requeue


@shared_task
def documents_requeue_task() -> int:
    """The beat's relay for generated documents whose render task the broker lost (REL-03)."""
    return documents_requeue()
