"""Figure 5: the e-mail outbox — invitations (the feed's template, rendered once and copied into N
outbox rows) queued through core.mail's real publish path (`_publish_batches`, what a feed's commit
does: one Celery task on Redis per batch of up to SEND_BATCH rows) and delivered by one Celery worker
with 2 prefork processes to a local SMTP sink (aiosmtpd, started here, discarding); the clock runs
from the publish to the moment the last row is seen `sent` (polled every 50 ms). The limit: the
same sink fed by a bare loop of `smtplib` sends of the same message on one reused connection.
Bounded: a run gives up after 15 minutes."""
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse

from bench import harness
from bench.harness import RUNS, count, result
from core.mail import SEND_BATCH
from core.models import OutgoingEmail

TEMPLATE = "emails/enrollment/invitation"
RUN_LIMIT = 15 * 60
# Where a worker's time goes (cProfile of one process sending 2,000 to the sink, 2026-12-05): building
# and serialising each MIME message with the email package ~45 % (header encoding and folding the
# most), the SMTP dialogue's round trips to the sink ~35 % (the bare loop waits for them too), the
# rows' claims and outcomes in PostgreSQL the rest. The sink, the workers and PostgreSQL share 2 cores.
PROFILE = "profile of a worker: MIME building 45 %, SMTP round trips 35 %, claims and outcomes the rest"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def _invitation(ctx) -> OutgoingEmail:
    from core.mail import render_templated_mail
    from enrollment.models import Application

    application = Application.objects.select_related("citizen", "program", "cohort").filter(
        partner=ctx.partners[0]).first()
    citizen = application.citizen
    return render_templated_mail(citizen.email, TEMPLATE, {
        "user_name": citizen.first_name, "citizen": citizen, "applications": [application],
        "link": settings.SITE_URL + "/accounts/citizen/login/" + "x" * 64,
        "login_url": settings.SITE_URL + reverse("accounts:citizen_login"), "ttl_hours": 24})


def _bare(port: int, message: bytes, total: int) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for i in range(total):
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [f"bare{i}@bench.test"], message)
    return total / (time.perf_counter() - started)


def _outbox_run(template: OutgoingEmail, total: int) -> float:
    from core.mail import _publish_batches

    # The run's own recipients' domain: rows other sessions insert meanwhile (another process on a
    # shared database) take ids inside this run's range, and are not this run's to wait for.
    domain = f"run{uuid.uuid4().hex[:12]}.bench.test"
    with transaction.atomic():
        rows = OutgoingEmail.objects.bulk_create(
            [OutgoingEmail(to=f"outbox{i}@{domain}", subject=template.subject, body_text=template.body_text,
                           body_html=template.body_html) for i in range(total)], batch_size=5000)
    ids = [row.pk for row in rows]
    started = time.perf_counter()
    _publish_batches(ids)  # what the feed's commit does: one task per SEND_BATCH rows, one SMTP connection each
    deadline = started + RUN_LIMIT
    while time.perf_counter() < deadline:
        left = OutgoingEmail.objects.filter(pk__gte=min(ids), pk__lte=max(ids), to__endswith=f"@{domain}").exclude(
            status=OutgoingEmail.Status.SENT).count()
        if not left:
            return total / (time.perf_counter() - started)
        time.sleep(0.05)  # the last delivery is seen within 50 ms (a run takes seconds)
    raise RuntimeError(f"{left} of {total} e-mails still unsent after {RUN_LIMIT} s")


def run(ctx) -> list[dict]:
    import redis

    # BENCH_EMAILS (development): more e-mails than the scale's, for a steadier figure.
    per_run = max(1, int(os.environ.get("BENCH_EMAILS") or ctx.scale.emails) // RUNS)
    # Earlier figures queued tasks (invitations, PDFs) with no worker: this figure's workers deliver
    # only its own rows (their tasks are dropped here; no beat runs, so their rows stay as they are).
    redis.Redis.from_url(harness.REDIS).flushdb()
    port = _free_port()
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    worker = None
    try:
        _wait_port(port)
        template = _invitation(ctx)
        message = EmailMultiAlternatives(template.subject, template.body_text, settings.DEFAULT_FROM_EMAIL,
                                         [template.to])
        message.attach_alternative(template.body_html, "text/html")
        raw = message.message().as_bytes(linesep="\r\n")  # as the SMTP backend sends it
        env = {**os.environ, "PYTHONPATH": os.getcwd(), "DJANGO_SETTINGS_MODULE": "bench.settings",
               "EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "flow", "worker", "--concurrency", "2",
                                   "--pool", "prefork", "--without-mingle", "--without-gossip", "-l", "warning"],
                                  env=env)
        _outbox_run(template, 2 * SEND_BATCH)  # warm-up: both worker processes are up and connected
        _bare(port, raw, 20)
        outbox, bare = [], []
        for _ in range(RUNS):
            outbox.append(_outbox_run(template, per_run))
            bare.append(_bare(port, raw, per_run))
    finally:
        for process in (worker, sink):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    value, limit = statistics.median(outbox), statistics.median(bare)
    projected = 100_000 / value / 60
    return [result(f"E-mail outbox, {count(per_run * RUNS)} invitations ({RUNS} runs of {count(per_run)})",
                   value=value, unit="e-mails/s", limit=limit, limit_label="bare smtplib loop, one connection",
                   target="≥ 60 % of the bare loop; 100 000 in < 10 min", met=value >= 0.6 * limit and projected < 10,
                   note=f"100 000 at this rate: {projected:.1f} min; {len(raw)} bytes per message; {PROFILE}; runs "
                        f"{', '.join(f'{x:.0f}' for x in outbox)}; bare {', '.join(f'{x:.0f}' for x in bare)}")]
