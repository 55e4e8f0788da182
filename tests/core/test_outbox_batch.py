"""A bulk send's batches (core.mail.outbox_send_batch): one locking SELECT and one or two UPDATEs
per batch whatever its size, one SMTP connection, a failed row recorded on itself without losing
the others, an unreachable server tried once per batch, a crash before the commit resending the
batch with the same Message-IDs, and rows held by another worker skipped."""
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import faults
from core.faults import FaultInjected
from core.mail import SEND_BATCH, _batches, _publish_batches, outbox_send, outbox_send_batch
from core.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def make_emails(count: int, prefix: str = "citizen") -> list[OutgoingEmail]:
    return OutgoingEmail.objects.bulk_create(
        [OutgoingEmail(to=f"{prefix}{i}@example.org", subject="Приглашение", body_text=f"Текст {i}.",
                       body_html=f"<p>Текст {i}.</p>") for i in range(count)])


def ids(emails) -> list[int]:
    return [email.pk for email in emails]


def statuses(emails) -> list[str]:
    return list(OutgoingEmail.objects.filter(pk__in=ids(emails)).order_by("pk").values_list("status", flat=True))


class CountingBackend(LocmemBackend):
    """locmem, counting the connections opened (a batch shares one)."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return True


class RefusingBackend(LocmemBackend):
    """A server that cannot be reached: every open is refused, and counted."""

    opened = 0

    def open(self):
        type(self).opened += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    return CountingBackend


def test_a_batch_sends_every_row_over_one_connection_and_records_it(counting_backend):
    emails = make_emails(5)
    assert outbox_send_batch(email_ids=ids(emails)) == 5
    assert counting_backend.opened == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to for e in emails)
    rows = OutgoingEmail.objects.filter(pk__in=ids(emails))
    assert {(row.status, row.attempts, row.last_error, row.next_attempt_at) for row in rows} == {
        (OutgoingEmail.Status.SENT, 1, "", None)}
    assert all(row.sent_at is not None for row in rows)
    # Each message keeps its own Message-ID, the one every attempt of that row uses.
    assert {m.extra_headers["Message-ID"].split(".")[1] for m in mail.outbox} == {str(pk) for pk in ids(emails)}


def test_a_batch_costs_the_same_queries_for_3_or_60_rows():
    def queries(count):
        emails = make_emails(count, prefix=f"q{count}-")
        with CaptureQueriesContext(connection) as captured:
            assert outbox_send_batch(email_ids=ids(emails)) == count
        return [query["sql"].split()[0] for query in captured.captured_queries]

    small, large = queries(3), queries(60)
    assert len(small) == len(large)
    # The claim (one SELECT … FOR UPDATE) and the outcome (one UPDATE), inside one transaction.
    assert [sql for sql in large if sql in ("SELECT", "UPDATE")] == ["SELECT", "UPDATE"]


def test_more_rows_than_a_batch_are_sent_in_transactions_of_send_batch_rows():
    emails = make_emails(SEND_BATCH + 5)
    with CaptureQueriesContext(connection) as captured:
        assert outbox_send_batch(email_ids=ids(emails)) == SEND_BATCH + 5
    assert [q["sql"].split()[0] for q in captured.captured_queries].count("UPDATE") == 2


def test_a_failed_row_is_recorded_on_itself_and_the_others_are_sent(counting_backend, monkeypatch):
    emails = make_emails(4)
    original_send = LocmemBackend.send_messages

    def refuse_the_second(self, messages):
        if messages[0].to == [emails[1].to]:
            raise smtplib.SMTPRecipientsRefused({emails[1].to: (550, b"No such user")})
        return original_send(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_messages", refuse_the_second)
    before = timezone.now()
    assert outbox_send_batch(email_ids=ids(emails)) == 3
    assert statuses(emails) == ["sent", "failed", "sent", "sent"]
    failed = OutgoingEmail.objects.get(pk=emails[1].pk)
    assert failed.attempts == 1
    assert "SMTPRecipientsRefused" in failed.last_error
    assert failed.next_attempt_at > before
    assert failed.sent_at is None
    # After a failure the dialogue is in an unknown state: the next row gets a fresh connection.
    assert counting_backend.opened == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails[i].to for i in (0, 2, 3))


def test_an_unreachable_server_is_tried_once_per_batch_and_every_row_records_the_failure(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.opened = 0
    emails = make_emails(3)
    OutgoingEmail.objects.filter(pk=emails[2].pk).update(attempts=2)
    assert outbox_send_batch(email_ids=ids(emails)) == 0
    assert RefusingBackend.opened == 1  # not one EMAIL_TIMEOUT per row against a hung server
    rows = list(OutgoingEmail.objects.filter(pk__in=ids(emails)).order_by("pk"))
    assert [(row.status, row.attempts) for row in rows] == [("failed", 1), ("failed", 1), ("failed", 3)]
    assert all("ConnectionRefusedError" in row.last_error for row in rows)
    assert rows[2].next_attempt_at - rows[0].next_attempt_at > rows[0].next_attempt_at - timezone.now()  # back-off
    assert mail.outbox == []


def test_sent_rows_are_skipped_and_a_second_batch_sends_nothing():
    emails = make_emails(3)
    assert outbox_send(email_id=emails[0].pk) is True
    assert outbox_send_batch(email_ids=ids(emails)) == 2
    assert outbox_send_batch(email_ids=ids(emails)) == 0
    assert len(mail.outbox) == 3
    assert OutgoingEmail.objects.get(pk=emails[0].pk).attempts == 1


@pytest.mark.parametrize("checkpoint", ["before_side_effect", "after_side_effect_before_commit"])
def test_a_crash_before_the_commit_leaves_the_batch_to_be_sent_again_with_the_same_message_ids(monkeypatch,
                                                                                            checkpoint):
    emails = make_emails(3)
    monkeypatch.setenv(faults.ENV, f"outbox_send.{checkpoint}:raise")
    with pytest.raises(FaultInjected):
        outbox_send_batch(email_ids=ids(emails))
    assert statuses(emails) == ["pending"] * 3  # nothing recorded: the transaction rolled back
    first = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(first) == (3 if checkpoint == "after_side_effect_before_commit" else 0)

    monkeypatch.delenv(faults.ENV)
    assert outbox_send_batch(email_ids=ids(emails)) == 3  # the redelivered task
    assert statuses(emails) == ["sent"] * 3
    again = [m.extra_headers["Message-ID"] for m in mail.outbox[len(first):]]
    assert len(again) == 3
    if first:
        assert again == first  # at least once, and the receiver can drop the copy
    assert {row.attempts for row in OutgoingEmail.objects.filter(pk__in=ids(emails))} == {1}


def test_bulk_sends_are_split_into_even_batches_of_at_most_send_batch_rows(monkeypatch):
    from core.tasks import outbox_send_batch_task

    published = []
    monkeypatch.setattr(outbox_send_batch_task, "delay", lambda *, email_ids: published.append(email_ids))
    _publish_batches(list(range(1, SEND_BATCH + SEND_BATCH // 2 + 1)))
    assert [len(batch) for batch in published] == [SEND_BATCH * 3 // 4] * 2
    assert sum(published, []) == list(range(1, SEND_BATCH + SEND_BATCH // 2 + 1))
    for total in (0, 1, SEND_BATCH, SEND_BATCH + 1, 10 * SEND_BATCH + 1):
        sizes = [end - start for start, end in _batches(total)]
        assert sum(sizes) == total
        assert len(sizes) == -(-total // SEND_BATCH)  # as few tasks as SEND_BATCH allows
        assert not sizes or (max(sizes) <= SEND_BATCH and max(sizes) - min(sizes) <= 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_skips_a_row_another_worker_holds_and_a_later_batch_sends_it():
    emails = make_emails(3)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OutgoingEmail.objects.select_for_update().filter(pk=emails[1].pk).get()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox_send_batch(email_ids=ids(emails)) == 2  # not waited for: skipped
        assert statuses(emails) == ["sent", "pending", "sent"]
    finally:
        release.set()
        thread.join(10)
    assert outbox_send_batch(email_ids=ids(emails)) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to for e in emails)
