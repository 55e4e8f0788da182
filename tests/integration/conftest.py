"""A real Celery worker process, against the test database and Redis (CI: PostgreSQL + Redis)."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests import invariants

ROOT = Path(__file__).resolve().parents[2]
# A fault test that hangs is a failure, not a stuck CI job: each one is bounded.
FAULT_TEST_SECONDS = 60


@pytest.fixture(autouse=True)
def bounded_in_time(request):
    """Fail a fault test (tests/integration/test_fault_*.py) that runs longer than a minute."""
    if not request.node.path.name.startswith("test_fault_"):
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"{request.node.name} exceeded {FAULT_TEST_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(FAULT_TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def invariant(request):
    """Print a fault test's invariant line (`R<n> invariant: …`) on the terminal even when pytest
    captures output, so that CI's log shows what each fault test checked."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def report(line: str) -> None:
        invariants.report(line)  # also into FLOW_INVARIANTS_LOG, which .ci/run prints
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line("")
                reporter.write_line(line)
    return report


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start `celery worker` on a queue of its own; yield (queue, mail_dir); stop it afterwards."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    database_url = f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}"
    queue = f"flow-it-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "flow.settings.base",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"filemail://{mail_dir}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CONN_MAX_AGE": "0",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "flow", "worker", "-Q", queue, "-c", "1", "--pool", "solo",
         "-l", "info", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while "ready" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("the Celery worker exited:\n" + (tmp_path / "worker.log").read_text())
            time.sleep(0.2)
        yield queue, mail_dir
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def send_to_worker(task, queue: str, **kwargs):
    """Send `task` through the real Redis broker (test settings otherwise run tasks eagerly)."""
    from flow.celery import app

    with app.connection_for_write(os.environ["REDIS_URL"]) as conn:
        return app.send_task(task.name, kwargs=kwargs, queue=queue, connection=conn)


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
