"""Celery tasks of orders: each takes primary keys (or the night, for the beat) and calls a service."""
import datetime as dt

from celery import shared_task
from django.utils import timezone

RENDER_OPTIONS = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RENDER_OPTIONS)
def order_render_task(*, document_id: int) -> None:
    """Render one order's PDF."""
    from orders.services.automatic import order_render

    order_render(document_id=document_id)


@shared_task(acks_late=True)
def automatic_orders_task(*, night: str | None = None) -> int:
    """Beat, 00:30 Moscow time: the night's automatic orders. Idempotent, so a redelivered task or
    a second worker creates nothing new. Returns how many orders were generated."""
    from orders.services.automatic import automatic_orders_run

    day = dt.date.fromisoformat(night) if night else timezone.localdate()
    return sum(1 for order in automatic_orders_run(night=day) if order.order_id)
