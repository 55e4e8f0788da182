"""Figure 3: the CSV export of every application (the operator's «Заявки» export with the list's
default columns) through the export job's real path, core.exports.export_build — the queryset the
list uses, `.iterator()`, the CSV writer, the file saved to storage, the owner e-mailed — run in a
child process whose resident set is sampled every 20 ms: the figure's memory is its peak above
the process with Django loaded. The limit is PostgreSQL
`COPY (the same query) TO STDOUT` (CSV) read by psycopg in this process."""
import json
import os
import statistics
import subprocess
import sys
import time

from django.db import connection

from bench.harness import RUNS, count, result
from core.models import ExportJob

CHILD = """
import json, os, sys, threading, time
import django
django.setup()
from core.exports import export_build
from core.models import ExportJob

def rss_kib():  # the resident set now (ru_maxrss would be the high-water mark of Django's own start)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

base, peak, done = rss_kib(), [0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_kib())
        time.sleep(0.02)
sampler = threading.Thread(target=sample)
sampler.start()
started = time.perf_counter()
export_build(job_id=int(sys.argv[1]))
elapsed = time.perf_counter() - started
done.set()
sampler.join()
job = ExportJob.objects.get(pk=int(sys.argv[1]))
print(json.dumps({"seconds": elapsed, "rows": job.total_rows, "status": job.status,
                  "peak_kib": max(peak[0], rss_kib()), "base_kib": base}))
"""


# Where the export's time goes (py-spy, 30 s of the operator's export on 1,000,000 applications,
# 2026-12-04): the status column's get_status_display() 36 % (Django rebuilds the choices mapping on
# every call), model instances built by .iterator() with select_related 36 %, csv writing the rest.
PROFILE = "py-spy: get_status_display 36 %, model instances from .iterator() 36 %, CSV writing the rest"


def _params(ctx) -> dict:
    return {"status": [ctx.scale.export_status]} if ctx.scale.export_status else {}


def _job(user, params=None) -> ExportJob:
    from enrollment.exports import APPLICATIONS

    return ExportJob.objects.create(owner=user, kind=APPLICATIONS, title="Заявки", params=params or {},
                                    format=ExportJob.Format.CSV)


def _export(user, params) -> dict:
    job = _job(user, params)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", CHILD, str(job.pk)], env=env, capture_output=True, text=True,
                         timeout=1800, check=True)
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    assert measured["status"] == ExportJob.Status.READY, measured
    return measured


def _copy_to(user, params) -> float:
    """COPY of the export's own query (the same rows and columns) to CSV, read and discarded."""
    from django.http import QueryDict

    from enrollment.exports import _applications

    query_dict = QueryDict(mutable=True)
    for key, values in params.items():
        query_dict.setlist(key, values)
    queryset = _applications(user, query_dict)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(sql, params)
        started = time.perf_counter()
        rows = 0
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            for data in copy:  # CSV lines (no field of these columns holds a line break)
                rows += bytes(data).count(b"\n")
        elapsed = time.perf_counter() - started
    return rows / elapsed


def run(ctx) -> list[dict]:
    params = _params(ctx)
    runs = [_export(ctx.operator, params) for _ in range(RUNS)]
    total = runs[0]["rows"]
    speeds = [m["rows"] / m["seconds"] for m in runs]
    limits = [_copy_to(ctx.operator, params) for _ in range(RUNS)]
    speed, limit = statistics.median(speeds), statistics.median(limits)
    # The export's own memory: the child's peak resident set above what it held once Django was loaded.
    peak = max(m["peak_kib"] - m["base_kib"] for m in runs) / 1024
    base = min(m["base_kib"] for m in runs) / 1024
    label = f" (status filter «{ctx.scale.export_status}»)" if ctx.scale.export_status else ""
    return [result(f"CSV export, {count(total)} applications{label}", value=speed, unit="rows/s", limit=limit,
                   limit_label="COPY (same query) TO STDOUT", target="≥ 25 % of COPY TO; peak memory ≤ 100 MB",
                   met=speed >= 0.25 * limit and peak <= 100,
                   note=f"{PROFILE}; peak memory {peak:.0f} MB above the {base:.0f} MB of a process with "
                        f"Django loaded; runs "
                        f"{', '.join(f'{x:.0f}' for x in speeds)} rows/s")]
