"""Celery tasks of the programs app: each takes a primary key and calls a service.

Rendering is idempotent (a document that is no longer pending is left alone), so acks-late
redelivery and retries are safe; a storage error (OSError) is retried with back-off.
"""
from celery import shared_task

RENDER_OPTIONS = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RENDER_OPTIONS)
def contract_render_task(*, document_id: int) -> None:
    """Render a training contract's PDF."""
    from programs.services.contracts import contract_document_render

    contract_document_render(document_id=document_id)


@shared_task(**RENDER_OPTIONS)
def addon_render_task(*, document_id: int) -> None:
    """Render an add-on agreement's PDF."""
    from programs.services.contracts import addon_document_render

    addon_document_render(document_id=document_id)


@shared_task(**RENDER_OPTIONS)
def cost_proposal_render_task(*, document_id: int) -> None:
    """Render a cost proposal's PDF."""
    from programs.services.contracts import cost_proposal_document_render

    cost_proposal_document_render(document_id=document_id)
