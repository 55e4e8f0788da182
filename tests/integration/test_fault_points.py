"""The fault-point API (core.faults) and the outbox's broker-down path in-process, without a worker:
the building blocks the §4 fault tests rely on, checked fast before the slow scenarios."""
import time

import pytest
from kombu.exceptions import OperationalError

from core import faults
from core.faults import FaultInjected, fault_point
from core.mail import outbox_flush, send_templated_mail_bulk
from core.models import OutgoingEmail


def test_the_fault_spec_is_parsed_strictly():
    assert faults.parse("document_render.before_side_effect:kill, after_commit_before_ack:sleep=0.5") == {
        "document_render.before_side_effect": "kill", "after_commit_before_ack": "sleep=0.5"}
    for wrong in ("before_side_effect", "before_side_effect:explode", ":raise"):
        with pytest.raises(ValueError, match="FLOW_FAULTS"):
            faults.parse(wrong)


def test_a_fault_point_does_nothing_unless_configured_for_its_scope_or_checkpoint(monkeypatch):
    monkeypatch.delenv(faults.ENV, raising=False)
    fault_point("document_render", "before_side_effect")  # unset: nothing happens
    monkeypatch.setenv(faults.ENV, "other_scope.before_side_effect:raise")
    fault_point("document_render", "before_side_effect")
    monkeypatch.setenv(faults.ENV, "document_render.before_side_effect:raise")
    with pytest.raises(FaultInjected, match="document_render.before_side_effect"):
        fault_point("document_render", "before_side_effect")
    monkeypatch.setenv(faults.ENV, "after_side_effect_before_commit:raise")  # a bare checkpoint: every scope
    with pytest.raises(FaultInjected):
        fault_point("anything", "after_side_effect_before_commit")


def test_sleep_waits_and_once_fires_a_point_a_single_time(monkeypatch, tmp_path):
    monkeypatch.setenv(faults.ENV, "scope.before_side_effect:sleep=0.2")
    began = time.monotonic()
    fault_point("scope", "before_side_effect")
    assert time.monotonic() - began >= 0.2
    monkeypatch.setenv(faults.ENV, "scope.before_side_effect:raise")
    monkeypatch.setenv(faults.ONCE_ENV, str(tmp_path))
    with pytest.raises(FaultInjected):
        fault_point("scope", "before_side_effect")
    fault_point("scope", "before_side_effect")  # the redelivered task runs through
    assert (tmp_path / "scope.before_side_effect").exists()


@pytest.mark.django_db(transaction=True)
def test_outbox_rows_whose_task_could_not_be_queued_are_left_due_for_the_relay(monkeypatch, mailoutbox):
    """REL-03: the broker refuses the on-commit publish; the caller's work still succeeds and the
    relay sends the rows at once (not only after the flush's grace period), each once."""
    from core.tasks import outbox_send_batch_task

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox_send_batch_task, "delay", broker_down)  # a bulk send publishes batches
    emails = send_templated_mail_bulk(template="emails/accounts/citizen_login", messages=[
        (f"c{i}@example.org", {"user_name": "Пётр", "url": "https://flow.example.org/x", "valid_hours": 24})
        for i in range(2)])
    rows = OutgoingEmail.objects.filter(pk__in=[e.pk for e in emails])
    assert {row.status for row in rows} == {OutgoingEmail.Status.PENDING}
    assert all(row.next_attempt_at is not None for row in rows)
    assert mailoutbox == []
    assert outbox_flush() == 2
    assert outbox_flush() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["c0@example.org", "c1@example.org"]
