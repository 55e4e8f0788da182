"""Figure 1: the РР applications feed (enrollment.services.feed.rr_import, the real path: parsing,
validation, citizens, applications, history, invitation e-mails in the outbox, their tasks queued on
Redis). Three files of new applications (one per run: a new row cannot be imported twice), the last
one re-delivered with the same rows (re-ordered, so that it is not refused as a duplicate file), and
a file changing every row's region. The limit is PostgreSQL `COPY` of the same rows into a table of
the application's shape with all its indexes; the peer is django-import-export on a sample."""
import csv
import datetime as dt
import io
import statistics
import time

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import AccessToken, User
from analytics.scale import valid_snils
from bench.harness import RUNS, count, result
from core.models import OutgoingEmail
from enrollment.models import Application, ApplicationEvent, Citizen
from programs.models import CitizenCategory, Cohort

# What one new РР row writes: its user, citizen, application, history row, login link and invitation.
WRITTEN = (User, Citizen, Application, ApplicationEvent, AccessToken, OutgoingEmail)

COLUMNS = ("rr_number", "submitted_at", "last_name", "first_name", "middle_name", "birth_date", "snils", "email",
           "phone", "region_code", "program_odin_id", "cohort_odin_id", "category")
_file_number = iter(range(1, 1_000_000))
# Where rr_import's time goes at 1,000,000 applications (py-spy, 30,000 new rows over 500 cohorts,
# 2026-12-05, after the cyclic GC was paused per batch — it had been 20 %): the invitations 31 %
# (renders and stamps 14 %, login links 5 %), the COPYs with the rows prepared for them 27 %, model
# instances 19 % (six per row; they overlap the other items), matching citizens 14 %, parsing and
# validation 13 %, the new applications' activity 7 %.
PROFILE = ("py-spy at 1M, 30,000 rows: invitations 31 % (renders and stamps 14 %, login links 5 %), COPYs with "
           "their rows 27 %, model instances 19 % (six a row, within the others), matching citizens 14 %, "
           "parsing/validation 13 %; the cyclic GC, 20 % before, paused per batch")

# Where a re-import's time goes (in process, 100,000 rows at 1,000,000 applications, 2026-12-05): the
# look-up of the rows' fingerprints in PostgreSQL ~35 % (one query; the planner scans the table or
# probes the index once per row: ~2 µs a row either way), fingerprinting the lines ~33 % (a keyed
# BLAKE2b per line over bytes prepared in C: the Python loop's floor, variants measured), reading
# the file (decoding, checks, the row count, its SHA-256) ~17 %, the run's record the rest.
RE_IMPORT_PROFILE = ("profile: the fingerprints' look-up in PostgreSQL ~35 %, fingerprinting the lines ~33 %, "
                     "reading the file ~17 %")


def make_rows(total: int, serial: int, region: str = "70") -> list[tuple]:
    """`total` new applications of new citizens for the generated programs (cohort starting later)."""
    cohorts = list(Cohort.objects.filter(program__odin_id__startswith="scale-prog-",
                                         start_date__gte=dt.date(2026, 5, 1)).select_related("program")
                   .order_by("pk")[:500])
    categories = list(CitizenCategory.objects.order_by("code").values_list("code", flat=True))
    submitted = (timezone.now() - dt.timedelta(days=1)).isoformat(timespec="seconds")
    first = (Citizen.objects.aggregate(top=Max("pk"))["top"] or 0) + serial * 10_000_000  # new on every run
    rows = []
    for i in range(total):
        n = first + i
        cohort = cohorts[i % len(cohorts)]
        rows.append((f"РР-Б-{n:09d}", submitted, "Смирнова", "Анна", "Петровна", "1985-04-12",
                     valid_snils(300_000_000 + n), f"feed{n}@bench.test",
                     "+7 913 555-01-01", region, cohort.program.odin_id, cohort.odin_id,
                     categories[i % len(categories)]))
    return rows


def to_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def writes() -> int:
    """Rows inserted, updated or deleted in the database so far (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
                       "WHERE relname NOT LIKE 'core_importrun%%' AND relname <> 'django_session'")
        return cursor.fetchone()[0]


def rr(data: bytes) -> tuple[float, object]:
    from enrollment.services.feed import rr_import

    started = time.perf_counter()
    outcome = rr_import(kind="applications", source=data, name=f"bench-{next(_file_number)}.csv", initiator="bench")
    return time.perf_counter() - started, outcome


def copy_limit(rows: list[tuple]) -> float:
    """COPY the rows, as applications, into a table of the same shape with every index (rolled back)."""
    fields = [f for f in Application._meta.concrete_fields if f.attname != "id"]
    now = timezone.now()
    values = {"created_at": now, "updated_at": now, "citizen_id": 1, "program_id": 1, "partner_id": 1, "cohort_id": 1,
              "category_id": "unemployed", "region_id": "70", "status": "primary_docs_required", "is_active": True,
              "result": "", "expulsion_reason": "", "termination_reason": "", "originals_track_number": "",
              "originals_comment": ""}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_feed_limit")
        cursor.execute("CREATE TABLE bench_feed_limit (LIKE enrollment_application INCLUDING ALL)")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_feed_limit ({columns}) FROM STDIN") as copy:
            for i, row in enumerate(rows, start=1):  # one active application per citizen (unique index)
                values["rr_number"], values["submitted_at"], values["citizen_id"] = row[0], row[1], i
                copy.write_row([values.get(f.attname) for f in fields])
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_feed_limit")
    return elapsed


def high_water() -> dict:
    """The highest primary key of each table a new row writes to (what a file adds comes above)."""
    return {model: model.objects.aggregate(top=Max("pk"))["top"] or 0 for model in WRITTEN}


def written_copy_ceiling(since: dict) -> float:
    """Seconds for PostgreSQL `COPY` alone to write what an import wrote: the rows each table got
    above `since` (read back with `COPY … TO`, untimed) copied into a table of the same shape with
    all its indexes, table after table. The fastest any import of those rows could be."""
    elapsed = 0.0
    with connection.cursor() as cursor:
        for model in WRITTEN:
            table = connection.ops.quote_name(model._meta.db_table)
            data = bytearray()
            with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE id > {int(since[model])}) TO STDOUT") as copy:
                for block in copy:
                    data += block
            cursor.execute("DROP TABLE IF EXISTS bench_feed_ceiling")
            cursor.execute(f"CREATE TABLE bench_feed_ceiling (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            with cursor.cursor.copy("COPY bench_feed_ceiling FROM STDIN") as copy:
                copy.write(data)
            elapsed += time.perf_counter() - started
            cursor.execute("DROP TABLE bench_feed_ceiling")
    return elapsed


def import_export_peer(rows: list[tuple]) -> float:
    """django-import-export importing the same kind of rows into the same models; rows/s."""
    from bench.import_export_peer import import_rows

    started = time.perf_counter()
    import_rows(rows)
    return len(rows) / (time.perf_counter() - started)


def run(ctx) -> list[dict]:
    total = ctx.scale.feed_rows
    files = [make_rows(total, serial=s + 1) for s in range(RUNS)]
    limits, news, outcomes, ceilings = [], [], [], []
    for rows in files:
        limits.append(total / copy_limit(rows))
        since = high_water()
        elapsed, outcome = rr(to_csv(rows))
        assert outcome.counts.get("created") == total, dict(outcome.counts)
        news.append(total / elapsed)
        outcomes.append(outcome)
        ceilings.append(total / written_copy_ceiling(since))
    limit, new, ceiling = statistics.median(limits), statistics.median(news), statistics.median(ceilings)
    sample = make_rows(ctx.scale.import_export_rows, serial=9)
    peer = import_export_peer(sample)
    last = files[-1]
    before = writes()
    again = []
    for run in range(1, RUNS + 1):
        # The same rows, in another order each run: a byte-identical file is refused as a duplicate
        # (ImportRun's SHA-256) without reading a row, which is not a re-import. (Reversing the list
        # each run, as the harness first did, gave the first file back on the second run.)
        shift = run * len(last) // (RUNS + 1)
        elapsed, outcome = rr(to_csv(last[shift:] + last[:shift]))
        assert not outcome.duplicate_of, "a re-import must read its rows, not be refused as a duplicate file"
        assert outcome.counts.get("unchanged") == total, dict(outcome.counts)
        again.append(total / elapsed)
    changed = writes() - before
    updates = []
    for region in ("54", "42", "22")[:RUNS]:
        events_before = ApplicationEvent.objects.filter(transition="rr_update").count()
        elapsed, outcome = rr(to_csv([row[:9] + (region,) + row[10:] for row in files[0]]))
        assert outcome.counts.get("updated") == total, dict(outcome.counts)
        assert ApplicationEvent.objects.filter(transition="rr_update").count() - events_before == total
        updates.append(total / elapsed)
    n = count(total)
    counts = dict(outcomes[-1].counts)
    return [
        result(f"РР feed import, {n} new applications", value=new, unit="rows/s", limit=limit,
               limit_label="COPY into a same-shape table with its indexes",
               target="≥ 25 000 rows/s; ≥ 20× django-import-export",
               met=new >= 25_000 and new >= 20 * peer,
               note=f"runs {', '.join(f'{x:.0f}' for x in news)} rows/s; last file {counts}; "
                    f"COPY alone of what the import wrote (its rows of {len(WRITTEN)} tables into same-shape "
                    f"tables with their indexes): {ceiling:,.0f} rows/s "
                    f"(runs {', '.join(f'{x:.0f}' for x in ceilings)})"
                    f"{': 25,000 rows/s is out of reach on this machine' if ceiling < 25_000 else ''}; {PROFILE}; "
                    f"django-import-export {peer:.0f} rows/s on {count(len(sample))} rows (Flow {new / peer:.1f}×)"),
        result(f"РР feed re-import, {n} unchanged", value=statistics.median(again), unit="rows/s", limit=limit,
               limit_label="COPY, as above", target="≥ 150 000 rows/s, zero writes",
               met=statistics.median(again) >= 150_000 and changed == 0,
               note=f"{changed} rows written (import runs excluded); runs {', '.join(f'{x:.0f}' for x in again)}; "
                    f"{RE_IMPORT_PROFILE}"),
        result(f"РР feed import, {n} updates (region)", value=statistics.median(updates), unit="rows/s", limit=limit,
               limit_label="COPY, as above", target="— (no target)", met=None,
               note=f"each row one UPDATE and one history row; runs {', '.join(f'{x:.0f}' for x in updates)}"),
    ]
