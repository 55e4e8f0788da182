"""Celery tasks of the analytics page."""
from celery import shared_task


@shared_task
def summaries_refresh_task() -> float:
    """Beat, every few minutes: rebuild the analytics summaries; returns the rebuild's seconds."""
    from analytics.services import summaries_refresh

    return summaries_refresh().seconds
