"""Figure 3: the CSV export of every application (the operator's «Заявки» export with the list's
default columns) through the export job's real path, core.exports.export_build — the queryset the
list uses, read as `values_list` tuples of the columns' fields through a server-side cursor, the
CSV writer, the file saved to storage, the owner e-mailed — run in a child process (after one
untimed job matching no row, as a worker that has run a task before) whose resident set is sampled
every 20 ms: the figure's memory is its peak above the process with Django loaded. The limit is
PostgreSQL `COPY (the same query: the same rows and fields) TO STDOUT` (CSV) read by psycopg in
this process."""
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
sampler = threading.Thread(target=sample, daemon=True)  # a failed export must not leave the child waiting on it
sampler.start()
export_build(job_id=int(sys.argv[2]))  # the warm-up job (no rows): what a worker's first task pays
started = time.perf_counter()
export_build(job_id=int(sys.argv[1]))
elapsed = time.perf_counter() - started
done.set()
sampler.join()
job = ExportJob.objects.get(pk=int(sys.argv[1]))
print(json.dumps({"seconds": elapsed, "rows": job.total_rows, "status": job.status,
                  "peak_kib": max(peak[0], rss_kib()), "base_kib": base}))
"""


# Where the export's time goes (py-spy, 250 Hz, the operator's export of all 1,052,500 applications
# after a warm-up job, 2026-12-04, after the `values_list` rewrite: 7.8 s, 135,000 rows/s): the CSV
# writer (C, with the zip/map of the columns, and the encoding) 41 %, reading the rows (server-side
# cursor: psycopg 23 % of which waiting 7 %, Django 4 %) 30 %, the cell functions 26 % (formula
# escaping 13 %, transposing the chunk 7 %, the full name 5 %, the status label 2 %). Before it:
# get_status_display 36 %, model instances from .iterator() with select_related 36 %, CSV the rest.
PROFILE = "py-spy: CSV writer 41 %, row reads (server-side cursor) 30 %, cell functions 26 %"


def _params(ctx) -> dict:
    return {"status": [ctx.scale.export_status]} if ctx.scale.export_status else {}


def _job(user, params=None) -> ExportJob:
    from enrollment.exports import APPLICATIONS

    return ExportJob.objects.create(owner=user, kind=APPLICATIONS, title="Заявки", params=params or {},
                                    format=ExportJob.Format.CSV)


def _export(user, params) -> dict:
    job = _job(user, params)
    # A Celery worker builds exports one after another: the first task of a process pays the imports
    # of the broker transport (the ready e-mail's task), the URL resolver and the like (0.2 s on a
    # quiet machine, over 1 s under load; the COPY limit runs in this warm process). The child
    # builds a job matching no row first, untimed.
    warm_up = _job(user, {**params, "s_number": ["~warm-up~"]})
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", CHILD, str(job.pk), str(warm_up.pk)], env=env, capture_output=True,
                         text=True, timeout=1800)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        raise RuntimeError("the export child failed (its traceback is above)")
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    assert measured["status"] == ExportJob.Status.READY, measured
    return measured


def _copy_to(user, params) -> float:
    """COPY of the export's own query (the same rows and columns: the fields its cells are made of,
    as the job reads them with `values_list`) to CSV, read and discarded."""
    from django.http import QueryDict

    from core.exports import _fields_reader, get_export
    from enrollment.exports import APPLICATIONS, _applications

    query_dict = QueryDict(mutable=True)
    for key, values in params.items():
        query_dict.setlist(key, values)
    queryset = _applications(user, query_dict)
    fields, _read = _fields_reader(get_export(APPLICATIONS).for_job(user, query_dict).columns)
    sql, params = queryset.values_list(*fields).query.sql_with_params()
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
