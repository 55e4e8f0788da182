"""`make bench`: Flow's benchmarks on PostgreSQL and Redis, printed as a table and written to
docs/performance.md, each figure beside the limit measured in the same run on the same machine.

A run builds a fresh database (`BENCH_DATABASE`, default flow_bench), migrates it, generates the
data set (analytics.scale, `COPY`) and runs the figures of issue #8 (bench/figures/*), each the
median of `BENCH_RUNS` (default 3) runs. `BENCH_SCALE=full` (default) has the issue's sizes;
`BENCH_SCALE=small` is the smoke run of .ci/run (tiny sizes, under 3 minutes) and
`BENCH_SCALE=medium` the full data set with fewer feed rows, e-mails and night cohorts; each writes
its own labelled block (the smoke run only with `BENCH_WRITE_DOC=1`). For development,
`BENCH_ONLY=feed,export` runs some figures only and `BENCH_REUSE_DATABASE=1` keeps the database
(and data set) of an earlier run.
Redis: `BENCH_REDIS` (default redis://127.0.0.1:6379/15), flushed by the bench — never a shared DB."""
import os
import sys
import time
import traceback

from bench import harness

# In the order they run: the read-only figures on the generated data first, then those that add rows.
FIGURES = ("analytics", "web", "export", "feed", "orders", "documents", "outbox")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = harness.database_url()
    os.environ["REDIS_URL"] = harness.REDIS
    os.environ.setdefault("EMAIL_URL", "memorymail://")  # only the outbox figure's workers send, to its sink
    os.environ.setdefault("MEDIA_ROOT", "/tmp/flow-bench-media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(harness.REDIS).flushdb()


def main() -> int:
    import importlib

    name = os.environ.get("BENCH_SCALE", "full")
    if name not in harness.SCALES:
        print(f"BENCH_SCALE must be one of {', '.join(harness.SCALES)}", file=sys.stderr)
        return 2
    only = [f for f in os.environ.get("BENCH_ONLY", "").split(",") if f]
    scale = harness.SCALES[name]
    started = time.perf_counter()
    if not os.environ.get("BENCH_REUSE_DATABASE"):  # development: keep a database migrated by hand
        harness.fresh_database()
    setup_django()
    flush_redis()
    from bench.context import build

    print(f"generating {scale.applications:,} applications ({scale.partners:,} partners, {scale.cohorts:,} cohorts)",
          flush=True)
    ctx = build(scale, reuse=bool(os.environ.get("BENCH_REUSE_DATABASE")))
    print(f"  generated in {ctx.generated_in:.0f} s", flush=True)
    rows, failed = [], False
    for figure in FIGURES:
        if only and figure not in only:
            continue
        print(f"figure: {figure}", flush=True)
        figure_started = time.perf_counter()
        try:
            new = importlib.import_module(f"bench.figures.{figure}").run(ctx)
        except Exception as exc:  # one broken figure must not hide the others
            traceback.print_exc()
            failed = True
            new = [harness.result(figure, value=0, unit="", target="—", met=False, note=f"failed: {exc!r}"[:300])]
        print(f"  {time.perf_counter() - figure_started:.0f} s", flush=True)
        rows += new
        print(harness.table(new).splitlines()[-1], flush=True)
    elapsed = time.perf_counter() - started
    print()
    print(harness.table(rows))
    print(f"\n{scale.name} run in {elapsed / 60:.1f} min (data generated in {ctx.generated_in:.0f} s)")
    # The smoke run (CI) leaves docs/performance.md alone unless asked: its figures are not the targets'.
    if not only and (scale.name != "small" or os.environ.get("BENCH_WRITE_DOC")):
        command = "make bench" if scale.name == "full" else f"BENCH_SCALE={scale.name} make bench"
        harness.write_doc(rows, command=command, scale_name=scale.name, elapsed=elapsed)
        print(f"written to {harness.DOC}")
    flush_redis()
    if failed:
        return 1
    return 0 if scale.name == "small" or all(row["met"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
