"""§4 R2 (REL-03, SESS-05): Redis, the Celery broker, is down while РР applications arrive. The
import succeeds: the citizens, applications and their invitation e-mails (outbox rows) commit together
and nothing depends on the on-commit `.delay()`. When Redis is back the relay (`outbox_flush`, the
beat's job) hands every pending row to the real worker, each e-mail is delivered once, and relaying
again delivers nothing more (I1, I2, I4). A logged-in user should keep working (SESS-05): not yet,
see the expected failure at the end."""
import io
import re
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from core.mail import _message_id
from core.models import OutgoingEmail
from core.tasks import outbox_flush_task, outbox_send_task
from enrollment.models import Application, Citizen
from flow.celery import app
from tests import invariants
from tests.enrollment.factories import valid_snils
from tests.integration.faults import PrivateRedis, Worker, wait_for
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPLICATIONS = 5
HEADER = ("rr_number,submitted_at,last_name,first_name,middle_name,birth_date,snils,email,phone,region_code,"
          "program_odin_id,cohort_odin_id,category")


def _feed(count: int) -> bytes:
    rows = [f"РР-2026-{n:06d},2026-02-10T12:00:00+07:00,Петров,Пётр,Петрович,1985-05-17,{valid_snils(n)},"
            f"c{n}@example.org,+7 913 555-00-00,70,p-1,c-1,unemployed" for n in range(1, count + 1)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@contextmanager
def _broker(url: str):
    """This process (the web application) publishes to `url` for real, as in production, instead of
    the test settings' eager mode; the producer pools are rebuilt for it and afterwards."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    # app.pool is kombu's process-wide pool for the broker URL: set the real one aside untouched
    # (closing it would break every later publish in this test process) and close only the
    # private broker's pool afterwards.
    saved_pools = (app._pool, app.amqp._producer_pool)
    app._pool = app.amqp._producer_pool = None
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool, app.amqp._producer_pool = saved_pools
        app.conf.update(saved)


def _delivered(mail_dir) -> Counter:
    ids = Counter()
    for path in mail_dir.glob("*"):
        ids.update(re.findall(r"^Message-ID: (<outbox\.[^>]+>)", path.read_text(), flags=re.MULTILINE))
    return ids


def test_r2_redis_down_while_applications_arrive_loses_and_duplicates_nothing(tmp_path, invariant):
    program = ProgramFactory(odin_id="p-1", title="Сварщик ручной дуговой сварки")
    CohortFactory(program=program, odin_id="c-1")
    feed = tmp_path / "rr_applications.csv"
    feed.write_bytes(_feed(APPLICATIONS))
    redis = PrivateRedis(tmp_path)
    redis.start()
    worker = Worker(tmp_path, broker_url=redis.url, queue="celery")
    worker.start()
    try:
        with _broker(redis.url):
            # 1. Redis goes away; the feed arrives and a logged-in user keeps working.
            redis.stop()
            began = time.monotonic()
            out = io.StringIO()
            call_command("import_applications", str(feed), stdout=out, stderr=io.StringIO())  # exit 0
            took = time.monotonic() - began
            assert Application.objects.count() == APPLICATIONS
            assert Citizen.objects.count() == APPLICATIONS
            emails = list(OutgoingEmail.objects.order_by("pk"))
            assert len(emails) == APPLICATIONS
            assert {email.status for email in emails} == {OutgoingEmail.Status.PENDING}
            assert all(email.next_attempt_at is not None for email in emails), "left to the relay"
            assert took < 20, f"publishing to a dead broker must not hang the import ({took:.1f} s)"

            # 2. Redis is back; the worker reconnects; the beat's relay runs.
            redis.start()
            assert wait_for(lambda: worker.log().count("Connected to redis") >= 2 or "ready" in worker.log(),
                            timeout=30)
            worker.send(outbox_flush_task)
            assert wait_for(lambda: not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists(),
                            timeout=30), worker.log()

            # 3. The relay again, and a stray second task per row (a redelivery): nothing more is sent.
            worker.send(outbox_flush_task)
            for email in emails:
                worker.send(outbox_send_task, email_id=email.pk)
            assert wait_for(lambda: redis.llen("celery") == 0, timeout=20)
            time.sleep(1)  # the last task taken from the queue finishes
    finally:
        worker.stop()
        redis.stop()

    delivered = _delivered(tmp_path / "mail")
    expected = {_message_id(email) for email in OutgoingEmail.objects.all()}
    assert set(delivered) == expected
    assert set(delivered.values()) == {1}
    invariant(f"R2 invariant: broker down for the import of {APPLICATIONS} applications (took {took:.1f} s, exit 0): "
          f"{Application.objects.count()} applications + {len(expected)} outbox rows committed together, "
          f"0 lost; after Redis returned {sum(delivered.values())} e-mails delivered for {len(expected)} rows "
          f"(0 duplicates after a second relay and {APPLICATIONS} redundant tasks)")


def test_r2_a_logged_in_user_keeps_working_while_redis_is_down(tmp_path, operator_reviewer, client):
    """SESS-05: sessions are `cached_db` and the cache degrades to misses (core/cache.py), so a
    user who was logged in keeps working, and a new login works, while Redis is away."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    redis_cache = {"default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": redis.url,
                               "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    with override_settings(CACHES=redis_cache):
        client.force_login(operator_reviewer)
        redis.stop()
        started = time.monotonic()
        page = client.get(reverse("accounts:home"), follow=True)
        newcomer = Client()
        newcomer.force_login(operator_reviewer)
        second = newcomer.get(reverse("accounts:home"), follow=True)
        elapsed = time.monotonic() - started
    assert page.status_code == 200
    assert page.wsgi_request.user == operator_reviewer
    assert second.status_code == 200
    assert second.wsgi_request.user == operator_reviewer
    assert elapsed < 20, "a dead cache must cost a request little time"
    invariants.report(f"R2 invariant: 2 of 2 logged-in requests served while Redis was down ({elapsed:.1f} s)")
