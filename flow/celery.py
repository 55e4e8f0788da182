"""The Celery application; tasks are discovered in each app's tasks.py."""
import logging
import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flow.settings.base")

logger = logging.getLogger(__name__)

# With acks_late + reject_on_worker_lost a task whose worker dies is delivered again (§4 R5). A task
# that kills its worker every time (a PDF that exhausts memory) would loop for ever: after this many
# deliveries of one attempt it is dropped with an error in the log (the alert), and what it was
# building stays pending/failed for a person to look at.
MAX_DELIVERIES = 5
DELIVERY_COUNT_TTL = 24 * 60 * 60


class GuardedTask(Task):
    """The base of every Flow task: counts how often one attempt (task id + retry number) was
    delivered, and refuses to run it past MAX_DELIVERIES. Retries are new attempts, not redeliveries."""

    def __call__(self, *args, **kwargs):
        request = self.request
        if not request.is_eager and request.id and _deliveries(f"{request.id}:{request.retries}") > MAX_DELIVERIES:
            logger.error("task %s[%s] dropped: delivered more than %d times, its worker died each time",
                         self.name, request.id, MAX_DELIVERIES)
            return None
        return super().__call__(*args, **kwargs)


def _deliveries(attempt: str) -> int:
    """This delivery's number for `attempt`, kept in the cache (Redis); 0 when the cache is down
    (the guard then lets the task run rather than block every task)."""
    from django.core.cache import cache

    key = f"celery:deliveries:{attempt}"
    try:
        cache.add(key, 0, timeout=DELIVERY_COUNT_TTL)
        return cache.incr(key)
    except Exception:  # noqa: BLE001 - a cache outage must not stop the queue
        logger.warning("celery: delivery count unavailable for %s", attempt, exc_info=True)
        return 0


app = Celery("flow", task_cls=GuardedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
