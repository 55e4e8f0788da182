"""§4 R5 (REL-02, EXP-05): the worker process rendering a PDF is SIGKILLed (as by the OOM killer) at
each fault point of `documents.services.document_render`. With `task_acks_late` and
`task_reject_on_worker_lost` the broker delivers the task again, and whatever the moment of the
crash there is exactly one ready document and one stored file, the one whose SHA-256 the row has
(I2 no duplicate, I3 no orphan, I4 completion)."""
import hashlib
import re

import pytest

from cohorts.models import Assignment
from cohorts.services import assignments
from cohorts.tasks import cohort_document_render_task
from core.faults import CHECKPOINTS
from core.mail import _message_id
from core.models import OutgoingEmail
from core.tasks import outbox_send_task
from documents.models import GeneratedDocument
from flow.celery import MAX_DELIVERIES
from tests.cohorts.support import enrolled_cohort, operator_with_signatory
from tests.cohorts.test_assignments import DAY_AFTER_START, at
from tests.integration.faults import PrivateRedis, Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pending_document(partner_a, campaign, staff_a, operator_reviewer, operator_org, monkeypatch):
    """An assignment whose PDF is still to be rendered: the test, not the on-commit hook, sends the task."""
    operator_with_signatory(operator_org)
    cohort, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    monkeypatch.setattr(assignments, "enqueue_render", lambda document_id: None)
    with at(DAY_AFTER_START):
        assignment = assignments.assignment_generate(actor=operator_reviewer, cohort=cohort)
    document = assignment.document
    assert document.status == GeneratedDocument.Status.PENDING
    return assignment, document


@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_r5_a_worker_killed_mid_render_leaves_one_document_and_one_file(checkpoint, pending_document, redis, invariant,
                                                                        tmp_path):
    assignment, document = pending_document
    faults_fired = tmp_path / "fired"
    faults_fired.mkdir()
    worker = Worker(tmp_path, broker_url=redis.url, env={
        "FLOW_FAULTS": f"document_render.{checkpoint}:kill", "FLOW_FAULTS_ONCE": str(faults_fired)})
    worker.start()
    try:
        worker.send(cohort_document_render_task, document_id=document.pk)
        assert wait_for(lambda: (faults_fired / f"document_render.{checkpoint}").exists()), worker.log()

        def settled():
            document.refresh_from_db()
            return document.status != GeneratedDocument.Status.PENDING and redis.llen(worker.queue) == 0
        assert wait_for(settled, timeout=40), worker.log()
        if checkpoint == "after_commit_before_ack":
            # The redelivered task must find the done marker (status ready) and exit: give it the time.
            assert wait_for(lambda: worker.log().count("succeeded in") >= 1, timeout=20), worker.log()
    finally:
        worker.stop()

    log = worker.log()
    assert "SIGKILL" in log or "WorkerLostError" in log, log
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY, document.error
    stored = [path for path in (tmp_path / "media").rglob("*") if path.is_file()]
    assert len(stored) == 1, stored
    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == document.sha256
    assert stored[0].name == f"{document.kind}-{document.pk}.pdf"
    assert Assignment.objects.filter(pk=assignment.pk, document=document).count() == 1
    assert GeneratedDocument.objects.filter(kind=document.kind).count() == 1
    invariant(f"R5 invariant ({checkpoint}): worker child SIGKILLed once, task redelivered, 1 ready document, "
          f"{len(stored)} stored file matching its SHA-256, 0 orphans, queue empty")


def test_r5_a_task_that_kills_its_worker_every_time_is_dropped_after_max_deliveries(pending_document, redis,
                                                                                   invariant, tmp_path):
    _, document = pending_document
    worker = Worker(tmp_path, broker_url=redis.url, env={"FLOW_FAULTS": "document_render.before_side_effect:kill"})
    worker.start()
    try:
        worker.send(cohort_document_render_task, document_id=document.pk)
        assert wait_for(lambda: "dropped: delivered more than" in worker.log(), timeout=45), worker.log()
        assert wait_for(lambda: redis.llen(worker.queue) == 0, timeout=10)
    finally:
        worker.stop()
    log = worker.log()
    kills = log.count("fault point document_render.before_side_effect: kill")
    assert kills == MAX_DELIVERIES, log
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.PENDING  # left for a person, not half-built
    assert not [path for path in (tmp_path / "media").rglob("*") if path.is_file()]
    invariant(f"R5 invariant (poison task): killed its worker {kills} times, then dropped by the delivery-count "
              f"guard with an error logged; queue empty, 0 files stored, no endless redelivery")


@pytest.mark.parametrize("checkpoint", ["before_side_effect", "after_side_effect_before_commit"])
def test_r5_a_worker_killed_while_sending_an_email_sends_it_again_with_the_same_message_id(
        checkpoint, redis, invariant, tmp_path):
    """Killed before SMTP: delivered once. Killed after SMTP accepted it but before the row was marked
    sent: delivered again on redelivery (at least once), with the same Message-ID, so the receiving
    server drops the copy; the row is sent exactly once in the outbox."""
    email = OutgoingEmail.objects.create(to="r5@example.org", subject="Проверка", body_text="Текст.")
    fired = tmp_path / "fired"
    fired.mkdir()
    worker = Worker(tmp_path, broker_url=redis.url, env={
        "FLOW_FAULTS": f"outbox_send.{checkpoint}:kill", "FLOW_FAULTS_ONCE": str(fired)})
    worker.start()
    try:
        worker.send(outbox_send_task, email_id=email.pk)
        assert wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT,
                        timeout=40), worker.log()
        assert wait_for(lambda: redis.llen(worker.queue) == 0, timeout=10)
    finally:
        worker.stop()
    assert (fired / f"outbox_send.{checkpoint}").exists()
    email.refresh_from_db()
    assert email.attempts == 1
    ids = [found for path in (tmp_path / "mail").glob("*")
           for found in re.findall(r"^Message-ID: (.+)$", path.read_text(), flags=re.MULTILINE)]
    assert set(ids) == {_message_id(email)}
    assert len(ids) == (1 if checkpoint == "before_side_effect" else 2)
    invariant(f"R5 invariant (outbox_send, {checkpoint}): worker killed once, row sent once (attempts 1), "
              f"{len(ids)} SMTP deliveries all with Message-ID {_message_id(email)}")
