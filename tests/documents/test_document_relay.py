"""A generated document survives a broker that is down or loses its message (REL-03, §4 R2/R3):
the request that created it succeeds, the row names its render task, and the relay queues it again."""
from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from documents.models import GeneratedDocument
from documents.services import document_create, document_enqueue, documents_requeue
from documents.tasks import documents_requeue_task

pytestmark = pytest.mark.django_db
rendered: list[int] = []


@shared_task(name="tests.documents.render_probe")
def render_probe(*, document_id: int) -> None:
    rendered.append(document_id)


@pytest.fixture(autouse=True)
def _clear():
    rendered.clear()


def test_a_broker_that_is_down_does_not_fail_the_request(monkeypatch, django_capture_on_commit_callbacks, caplog):
    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(render_probe, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        document = document_create(kind="act", title="Акт № 1")
        document_enqueue(document.pk, render_probe)

    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.PENDING
    assert document.render_task == "tests.documents.render_probe"
    assert "left to the relay" in caplog.text


def test_the_relay_queues_again_only_documents_pending_too_long(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the broker "lost" the messages
        lost, fresh, plain = (document_create(kind="act", title=f"Акт № {n}") for n in range(3))
        document_enqueue(lost.pk, render_probe)
        document_enqueue(fresh.pk, render_probe)
    done = document_create(kind="act", title="Акт № 4")
    document_enqueue(done.pk, render_probe)
    hour_ago = timezone.now() - timedelta(hours=1)
    GeneratedDocument.objects.filter(pk__in=[lost.pk, plain.pk, done.pk]).update(created_at=hour_ago)
    GeneratedDocument.objects.filter(pk=done.pk).update(status=GeneratedDocument.Status.READY)
    rendered.clear()

    assert documents_requeue_task.delay().get() == 1

    assert rendered == [lost.pk]  # not the fresh one, not one without a task, not a ready one


def test_an_unknown_task_name_is_logged_and_skipped(caplog):
    document = document_create(kind="act", title="Акт № 5")
    GeneratedDocument.objects.filter(pk=document.pk).update(
        render_task="gone.task", created_at=timezone.now() - timedelta(hours=1))
    assert documents_requeue() == 0
    assert "unknown render task gone.task" in caplog.text
