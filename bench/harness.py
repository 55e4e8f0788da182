"""The benchmark harness's shared parts: the scale, the fresh database, medians, the result row of
a figure, the table and docs/performance.md. Each figure (bench/figures/*.py) measures its work and
its limit in the same run on the same machine and returns `result(...)`."""
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "flow_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")  # a private DB: the bench flushes it
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
LABELS = {
    "full": "Latest full",
    "medium": "Latest medium (BENCH_SCALE=medium: the full data set, fewer feed rows, e-mails and night "
              "cohorts — a quicker run for development)",
    "small": "Smoke (BENCH_SCALE=small, tiny sizes: it proves the harness works; its figures are not comparable "
             "with the targets)",
}


def markers(scale_name: str) -> tuple[str, str]:
    """The docs block of a scale: the full run's is the main table."""
    if scale_name == "full":
        return START, END
    return f"<!-- bench-{scale_name}:start -->", f"<!-- bench-{scale_name}:end -->"


@dataclass(frozen=True)
class Scale:
    name: str
    applications: int  # the data set the list, export and analytics figures stand on
    partners: int
    cohorts: int
    feed_rows: int  # РР feed import, new / unchanged / updated
    import_export_rows: int  # django-import-export's sample
    act_citizens: int  # the act of figure 4
    emails: int  # outbox figure
    night_cohorts: int  # automatic orders night
    load_seconds: float  # web figure, per run
    connections: int
    export_status: str = ""  # the export's status filter ("": every application)


SCALES = {
    "small": Scale("small", applications=3_000, partners=10, cohorts=100, feed_rows=1_000, import_export_rows=200,
                   act_citizens=10, emails=150, night_cohorts=20, load_seconds=2, connections=32),
    "medium": Scale("medium", applications=1_000_000, partners=2_000, cohorts=20_000, feed_rows=3_000,
                    import_export_rows=500, act_citizens=200, emails=3_000, night_cohorts=500, load_seconds=15,
                    connections=32, export_status="employed"),
    "full": Scale("full", applications=1_000_000, partners=2_000, cohorts=20_000, feed_rows=100_000,
                  import_export_rows=5_000, act_citizens=200, emails=100_000, night_cohorts=5_000, load_seconds=20,
                  connections=32),
}


def scale() -> Scale:
    return SCALES[os.environ.get("BENCH_SCALE", "full")]


def database_url(name: str = DATABASE) -> str:
    return f"{SERVER}/{name}"


def fresh_database(name: str = DATABASE) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def timed(call, runs: int = RUNS, warm_up: bool = True) -> tuple[float, list[float]]:
    """The median wall time of `runs` calls (after one warm-up call: caches, connections, templates)."""
    if warm_up:
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def result(figure: str, *, value: float, unit: str, limit: float | None = None, limit_label: str = "",
           ratio: float | None = None, target: str, met: bool | None, note: str = "") -> dict:
    """One row of the table. `ratio` defaults to value / limit (both "more is better" figures)."""
    if ratio is None and limit:
        ratio = value / limit
    return {"figure": figure, "value": value, "unit": unit, "limit": limit, "limit_label": limit_label,
            "ratio": ratio, "target": target, "met": met, "note": note}


def count(value: int) -> str:
    """1000000 → «1 000 000» (thin spaces, as in the docs)."""
    return f"{value:,}".replace(",", "\u202f")


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return text.replace(",", "\u202f")


def table(rows: list[dict]) -> str:
    lines = ["| Figure | Measured | Limit (same run) | Ratio | Target | Met | Notes |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        limit = f"{number(row['limit'])} {row['unit']}" if row["limit"] is not None else "—"
        if row["limit_label"]:
            limit = f"{limit} ({row['limit_label']})"
        ratio = f"{row['ratio'] * 100:.0f} %" if row["ratio"] is not None else "—"
        met = {True: "met", False: "NOT MET", None: "—"}[row["met"]]
        note = str(row["note"]).replace("|", "/").replace("\n", " ")
        lines.append(f"| {row['figure']} | {number(row['value'])} {row['unit']} | {limit} | {ratio} | "
                     f"{row['target']} | {met} | {note} |")
    return "\n".join(lines)


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.node()} ({os.cpu_count()} CPUs, {_memory()}, load average {load}), Python "
            f"{platform.python_version()}, PostgreSQL {_pg_version()}")


def _memory() -> str:
    try:
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")).split()[1])
        return f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        return "? GiB"


def _pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]


def write_doc(rows: list[dict], *, command: str, scale_name: str, elapsed: float) -> None:
    """Replace the latest run's block in docs/performance.md (full runs; small runs get their own block)."""
    from django.utils import timezone

    start, end = markers(scale_name)
    block = "\n".join([
        start,
        f"{LABELS[scale_name]} `{command}` run: {timezone.localtime():%Y-%m-%d %H:%M} (Moscow time) on {machine()}; "
        f"medians of {RUNS} runs after a warm-up; the whole run took {elapsed / 60:.1f} min.",
        "",
        table(rows),
        end,
    ])
    text = DOC.read_text(encoding="utf-8")
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
