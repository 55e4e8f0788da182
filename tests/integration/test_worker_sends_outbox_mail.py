import pytest

from core.models import OutgoingEmail
from core.tasks import outbox_send_task
from tests.integration.conftest import send_to_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_real_worker_sends_an_outbox_email_through_redis(celery_worker_process):
    queue, mail_dir = celery_worker_process
    email = OutgoingEmail.objects.create(to="someone@example.org", subject="Проверка очереди",
                                         body_text="Письмо отправлено настоящим обработчиком Celery.")

    send_to_worker(outbox_send_task, queue, email_id=email.pk)

    assert wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT)
    files = list(mail_dir.glob("*.log"))
    assert len(files) == 1
    assert "someone@example.org" in files[0].read_text()
