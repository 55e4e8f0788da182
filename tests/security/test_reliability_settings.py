"""Reliability settings (REL-01, REL-02, REL-05, CFG-10): what the fault tests in tests/integration
rely on, asserted on the settings every process loads, so that a change cannot drop one silently."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from flow.celery import GuardedTask, app

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_subprocess(module: str, expression: str, **env) -> object:
    """Evaluate `expression` against `module`'s settings in a fresh interpreter (test settings
    override the broker and eager mode; production values must be read where they are set)."""
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            f"from flow.celery import app; print(json.dumps({expression}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": module, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PROD_ENV = {"SECRET_KEY": "x" * 20 + "-test-only-reliability-" + "y" * 30, "ALLOWED_HOSTS": "flow.example.org",
            "DATABASE_URL": "postgres://flow@db:5432/flow", "REDIS_URL": "redis://redis:6379/0",
            "EMAIL_URL": "smtp+tls://user:secret@smtp.example.org:587"}


def test_celery_acknowledges_late_requeues_lost_tasks_and_accepts_json_only():
    conf = _settings_in_subprocess("flow.settings.prod", (
        "[app.conf.task_acks_late, app.conf.task_reject_on_worker_lost, app.conf.worker_prefetch_multiplier, "
        "app.conf.broker_connection_retry_on_startup, app.conf.task_serializer, list(app.conf.accept_content), "
        "app.conf.broker_transport_options.get('visibility_timeout'), app.conf.task_time_limit, "
        "app.conf.task_soft_time_limit, app.conf.task_always_eager, app.conf.broker_url]"), **PROD_ENV)
    (acks_late, reject_lost, prefetch, retry_startup, serializer, accept, visibility, hard, soft, eager,
     broker) = conf
    assert (acks_late, reject_lost, prefetch, retry_startup) == (True, True, 1, True)
    assert serializer == "json"
    assert accept == ["json"]
    assert 0 < soft < hard
    # Redis redelivers an unacknowledged task after the visibility timeout: it must outlast the
    # longest task and the outbox's longest retry countdown (an hour), or a task would run twice.
    assert visibility > max(hard, 3600)
    assert eager is False
    assert broker == "redis://redis:6379/0"


def test_every_registered_task_has_a_time_limit_and_acks_late():
    app.autodiscover_tasks(force=True)
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "core.tasks.outbox_send_task" in ours
    assert "cohorts.tasks.cohort_document_render_task" in ours
    for name, task in ours.items():
        limit = task.time_limit or app.conf.task_time_limit
        assert 0 < (limit or 0) <= 15 * 60, name
        assert task.acks_late if task.acks_late is not None else app.conf.task_acks_late, name
        assert isinstance(task, GuardedTask), f"{name}: no delivery-count guard"


def test_database_connections_are_health_checked_and_bounded():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    options = _settings_in_subprocess("flow.settings.prod", "s.DATABASES['default']", **PROD_ENV)
    assert options["CONN_HEALTH_CHECKS"] is True
    assert options["OPTIONS"]["connect_timeout"] <= 10
    assert options["OPTIONS"]["keepalives"] == 1


def test_production_refuses_plaintext_smtp_and_keeps_tls_with_a_timeout():
    tls = _settings_in_subprocess("flow.settings.prod", "[s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT]",
                                  **PROD_ENV)
    assert tls[:2] == [True, False]
    assert 0 < tls[2] <= 30
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "flow.settings.prod", **PROD_ENV,
                                 "EMAIL_URL": "smtp://user:secret@smtp.example.org:25"})
    assert result.returncode != 0
    assert "smtp+tls://" in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_does_not_acknowledge_a_commit_before_it_is_durable():
    """REL-05: the server the tests run on. Production's server is the operator's (checked by the
    same query in the restore drill); a commit acknowledged to a user must survive a crash (I1)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with connection.cursor() as cursor:
        values = {}
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"SHOW {name}")
            values[name] = cursor.fetchone()[0]
    assert values == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
