"""`make bench`: Flow's benchmarks on PostgreSQL, printed as a table and written to
docs/performance.md (between the `bench` markers), with the machine, the date and the command.

The harness of issue #8 starts here with its first figure, the operator's analytics page; the
feed, list, export, document, outbox and orders-night figures land on the same harness.

Each run builds a fresh database (`BENCH_DATABASE`, default flow_bench on the local server),
migrates it, generates the data set with bulk inserts (the generator the analytics tests use, so
the data the figures stand on is the data the tests check) and measures every figure as the median
of `BENCH_RUNS` (default 5) after one warm-up. `BENCH_SCALE=small` is the smoke run `.ci/run` does
so that the harness cannot rot; its figures are not written to docs/performance.md.
"""
import os
import platform
import statistics
import sys
import time
from pathlib import Path

SCALES = {"small": 2_000, "full": 100_000}
SCALE = os.environ.get("BENCH_SCALE", "full")
DATABASE = os.environ.get("BENCH_DATABASE", "flow_bench")
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flow.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(call, runs: int = RUNS) -> tuple[float, list[float]]:
    call()  # warm-up: caches, first connection, template loading
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def bench_analytics(total: int) -> dict:
    """The operator's analytics page on `total` generated applications: server time and queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import Membership, Organization
    from tests.analytics.support import generate
    from tests.factories import CampaignFactory, MembershipFactory, OrganizationFactory, UserFactory

    campaign = CampaignFactory()
    started = time.perf_counter()
    generate(campaign, total)
    generated_in = time.perf_counter() - started
    operator = OrganizationFactory(kind=Organization.Kind.OPERATOR, short_name="ФО")
    user = UserFactory(email="bench-fo@example.org", is_staff=True)
    MembershipFactory(organization=operator, role=Membership.Role.OPERATOR_REVIEWER, user=user)
    client = Client()
    client.force_login(user)
    url = reverse("analytics:overview")

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    median, times = timed(page)
    with CaptureQueriesContext(connection) as queries:
        page()
    count = f"{total:,}".replace(",", "\u00a0")
    return {"figure": f"Operator analytics page, {count} applications",
            "value": f"{median * 1000:.0f} ms server time (runs: {', '.join(f'{t * 1000:.0f}' for t in times)}), "
                     f"{len(queries)} queries",
            "target": "≤ 300 ms, ≤ 15 queries", "met": median <= 0.300 and len(queries) <= 15,
            "note": f"data generated in {generated_in:.0f} s"}


def table(rows: list[dict]) -> str:
    lines = ["| Figure | Measured | Target | Met |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['figure']} | {row['value']}; {row['note']} | {row['target']} | "
                     f"{'yes' if row['met'] else 'NO'} |")
    return "\n".join(lines)


def write_doc(rows: list[dict], command: str) -> None:
    from django.utils import timezone

    block = "\n".join([
        START,
        f"Latest `make bench` run: {timezone.localtime():%Y-%m-%d %H:%M} (Moscow time), {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}), command `{command}`, "
        f"median of {RUNS} runs after a warm-up.",
        "",
        table(rows),
        END,
    ])
    text = DOC.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Benchmarks (`make bench`)\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    if SCALE not in SCALES:
        print(f"BENCH_SCALE must be one of {', '.join(SCALES)}", file=sys.stderr)
        return 2
    fresh_database()
    setup_django()
    rows = [bench_analytics(SCALES[SCALE])]
    print(table(rows))
    if SCALE == "full":
        write_doc(rows, "make bench")
        print(f"written to {DOC}")
    return 0 if all(row["met"] for row in rows) or SCALE == "small" else 1


if __name__ == "__main__":
    sys.exit(main())
