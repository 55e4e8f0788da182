"""Figure 2: the partner's applications list (50 rows, default filters, logged-in partner staff)
served by gunicorn with 2 sync workers on the bench database, loaded over loopback by 32
connections for a bounded time (bench.load) — beside the bench-only minimal page (bench.views:
one indexed query, a plain 50-row table, behind the same middleware and the same logged-in
session) measured the same way in the same run. Also the list's
number of queries (Django test client), which must not grow with the data."""
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.harness import RUNS, count, result
from bench.load import load
from enrollment.models import Application


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "DJANGO_SETTINGS_MODULE": "bench.settings"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "flow.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "60"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/minimal/?partner=0", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def run(ctx) -> list[dict]:
    client = Client()
    client.force_login(ctx.partner_staff)
    url = reverse("enrollment:application_list")
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    partner = ctx.partners[0].pk
    minimal = f"/bench/minimal/?partner={partner}"
    port = _free_port()
    process = _start_gunicorn(port)
    seconds, conns = ctx.scale.load_seconds, ctx.scale.connections
    try:
        load("127.0.0.1", port, url, cookie=cookie, connections=4, seconds=1)  # warm-up: both workers' caches
        load("127.0.0.1", port, minimal, cookie=cookie, connections=4, seconds=1)
        pages, floors = [], []
        for _ in range(RUNS):  # interleaved, so that drifting load hits both alike
            pages.append(load("127.0.0.1", port, url, cookie=cookie, connections=conns, seconds=seconds))
            floors.append(load("127.0.0.1", port, minimal, cookie=cookie, connections=conns, seconds=seconds))
    finally:
        process.terminate()
        process.wait(timeout=30)
    for measured in pages + floors:
        assert measured["failed"] == 0, measured
        assert measured["ok"] > 0, measured
    rps, floor = statistics.median(m["rps"] for m in pages), statistics.median(m["rps"] for m in floors)
    p50, p99 = statistics.median(m["p50"] for m in pages), statistics.median(m["p99"] for m in pages)
    floor_p99 = statistics.median(m["p99"] for m in floors)
    partner_rows = count(Application.objects.filter(partner=ctx.partners[0]).count())
    return [result(f"Partner applications list, 50 rows, {count(ctx.scale.applications)} applications",
                   value=rps, unit="req/s", limit=floor, limit_label="minimal one-query 50-row page",
                   target="≥ 70 % of the minimal page; p99 ≤ 150 ms; ≤ 12 queries",
                   met=rps >= 0.7 * floor and p99 <= 150 and len(queries) <= 12,
                   note=f"p50 {p50:.0f} ms, p99 {p99:.0f} ms "
                        f"(minimal page p99 {floor_p99:.0f} ms{_queueing(floor_p99)}); "
                        f"{len(queries)} queries; gunicorn 2 sync workers, {conns} connections × {seconds:g} s "
                        f"× {RUNS}; the partner has {partner_rows} applications")]


def _queueing(floor_p99: float) -> str:
    """32 connections on 2 sync workers queue: a request waits for those ahead of it (Little's law,
    latency ≈ connections / throughput), so the p99 bound is out of reach for any page whose
    one-query floor already misses it on this machine — say so where the run shows it."""
    if floor_p99 <= 150:
        return ""
    return ": the one-query page itself misses p99 ≤ 150 ms at this concurrency, so no page can meet it here"
