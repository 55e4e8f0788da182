"""§4 R1 (REL-01): PostgreSQL connections die under a running application: all at once between
requests (a server restart), in the middle of a request, and while the server is unreachable. The
web application (gunicorn, persistent connections) and a Celery worker both reach PostgreSQL through
a loopback proxy the test cuts. They recover without being restarted (CONN_HEALTH_CHECKS, Celery's
Django fix-up); a request that loses its connection gets the generic 503 page, quickly (I5); nothing
acknowledged is lost (I1)."""
import http.client
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from core.models import OutgoingEmail
from core.tasks import outbox_send_task
from tests.factories import CitizenUserFactory
from tests.integration.faults import ROOT, STEP_TIMEOUT, PrivateRedis, TcpProxy, Worker, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _proxied_database_url(proxy: TcpProxy) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{proxy.port}/{db['NAME']}"


@pytest.fixture
def proxy():
    db = connection.settings_dict
    server = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield server
    server.close()


@pytest.fixture
def web(proxy, tmp_path):
    """gunicorn, one sync worker, connections kept 60 s as in production, PostgreSQL via the proxy."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "flow.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--timeout", "30"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
             "DATABASE_URL": _proxied_database_url(proxy), "CONN_MAX_AGE": "60", "REDIS_URL": "",
             "MEDIA_ROOT": str(tmp_path / "media"), "EMAIL_URL": f"filemail://{tmp_path / 'mail'}"})
    try:
        assert wait_for(lambda: _reachable(port) or proc.poll() is not None), (tmp_path / "gunicorn.log").read_text()
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _reachable(port: int) -> bool:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
        return True
    except OSError:
        return False


def _get(port: int, session_key: str):
    """GET the site root as the logged-in citizen: it reads the session and the user from PostgreSQL."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=STEP_TIMEOUT)
    began = time.monotonic()
    conn.request("GET", "/", headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
                                      "Host": "127.0.0.1"})
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    return response.status, response.getheader("Location") or "", body, time.monotonic() - began


def _session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def test_r1_the_web_application_recovers_from_dropped_database_connections_without_a_restart(web, proxy,
                                                                                            invariant):
    port, gunicorn = web
    citizen = CitizenUserFactory(email="citizen.r1@example.org")
    session_key = _session_for(citizen)
    statuses = []

    def logged_in_request():
        status, location, body, took = _get(port, session_key)
        statuses.append(status)
        return status, location, body, took

    status, location, _, _ = logged_in_request()
    assert (status, location) == (302, "/cabinet/"), "the citizen is recognised (session and user read)"
    assert proxy.open_connections() >= 1, "gunicorn keeps its connection between requests"

    # 1. Every connection reset between requests (a PostgreSQL restart): the next request checks its
    # stale connection, replaces it and succeeds (without CONN_HEALTH_CHECKS it would be a 500).
    assert proxy.cut() >= 1
    status, location, _, _ = logged_in_request()
    assert (status, location) == (302, "/cabinet/")

    # 2. Cut in the middle of a request: the session was read, the user query never arrives.
    proxy.cut_when_seen(b'"accounts_user"')
    status, _, body, took = logged_in_request()
    assert status == 503
    assert "Traceback" not in body
    assert "accounts_user" not in body
    assert citizen.email not in body
    assert took < 10
    status, location, _, _ = logged_in_request()
    assert (status, location) == (302, "/cabinet/")

    # 3. PostgreSQL unreachable: requests fail fast with the generic page, and work once it is back.
    proxy.cut()
    target = proxy.target
    proxy.target = ("127.0.0.1", free_port())  # nothing listens there: connection refused
    status, _, body, took = logged_in_request()
    assert status == 503
    assert "Traceback" not in body
    assert took < 10, "connect_timeout bounds a request while the database is down"
    proxy.target = target
    status, location, _, _ = logged_in_request()
    assert (status, location) == (302, "/cabinet/")

    assert gunicorn.poll() is None, "the application was never restarted"
    invariant(f"R1 invariant (web): {len(statuses)} requests {statuses}; 3 faults injected "
          f"({proxy.cuts} connections reset), each answered by the generic 503 page at most once, "
          f"recovered on the next request with the same gunicorn process (pid {gunicorn.pid})")


def test_r1_a_celery_worker_recovers_from_dropped_database_connections_without_a_restart(proxy, tmp_path,
                                                                                          invariant):
    redis = PrivateRedis(tmp_path)
    redis.start()
    worker = Worker(tmp_path, broker_url=redis.url,
                    env={"DATABASE_URL": _proxied_database_url(proxy), "CONN_MAX_AGE": "60"})
    worker.start()
    emails = [OutgoingEmail.objects.create(to=f"r1.{i}@example.org", subject=f"R1 {i}", body_text="Проверка.")
              for i in range(3)]
    try:
        def sent(email):
            return lambda: OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT

        worker.send(outbox_send_task, email_id=emails[0].pk)
        assert wait_for(sent(emails[0])), worker.log()
        assert proxy.cut() >= 1, "the worker kept its connection (CONN_MAX_AGE=60)"
        worker.send(outbox_send_task, email_id=emails[1].pk)
        assert wait_for(sent(emails[1])), worker.log()
        proxy.cut()
        worker.send(outbox_send_task, email_id=emails[2].pk)
        assert wait_for(sent(emails[2])), worker.log()
        assert worker.proc.poll() is None
    finally:
        worker.stop()
        redis.stop()
    delivered = sum(path.read_text().count("Message-ID: <outbox.") for path in (tmp_path / "mail").glob("*"))
    assert delivered == len(emails)
    invariant(f"R1 invariant (worker): {len(emails)} tasks across 2 connection resets, {len(emails)} rows sent, "
          f"{delivered} e-mails delivered, 0 lost, 0 duplicated, worker never restarted")
