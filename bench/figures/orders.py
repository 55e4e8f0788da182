"""Figure 6: a night of automatic orders (orders.services.automatic.automatic_orders_run, what the
beat task runs) for N cohorts starting that day, three applications each awaiting their enrolment
order, every partner in automatic mode. Each run is its own night (a night is idempotent). The
orders' PDFs are queued for the workers on commit and are not part of the night's time.

Switching the data set's partners to automatic mode leaves a backlog: their applications already
awaiting an expulsion or completion order (on the medium data set some 2,000 orders, which made
the first timed night several times slower than the others). An untimed night before the first
(with N cohorts of its own) catches it up, so that each timed night is the N cohorts starting
that day."""
import datetime as dt
import itertools
import statistics
import time

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import CampaignParticipation, Region
from analytics import scale
from bench.harness import RUNS, count, result
from enrollment.models import Citizen
from programs.models import CitizenCategory, Cohort, Program

PER_COHORT = 3


def _prepare(ctx, night: dt.date, cohorts: int) -> None:
    programs = list(Program.objects.filter(odin_id__startswith="scale-prog-").order_by("pk")[:cohorts])
    ids = scale._next_ids(Cohort, cohorts)
    new = [Cohort(pk=pk, program=programs[i % len(programs)], odin_id=f"night-{pk}", start_date=night,
                  end_date=night + dt.timedelta(days=50), max_students=25) for i, pk in enumerate(ids)]
    Cohort.objects.bulk_create(new, batch_size=scale.BATCH)
    scale.reset_sequences(Cohort)
    CampaignParticipation.objects.bulk_create(
        [CampaignParticipation(campaign=ctx.campaign, partner_id=p.partner_id, is_qualified=True,
                               first_program_at=timezone.now(), order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
         for p in {p.partner_id: p for p in programs}.values()],
        batch_size=scale.BATCH, update_conflicts=True, unique_fields=["campaign", "partner"],
        update_fields=["order_mode"])
    regions = list(Region.objects.filter(code__in=scale.REGIONS).order_by("code").values_list("pk", flat=True))
    categories = list(CitizenCategory.objects.order_by("code").values_list("code", flat=True))
    statuses = itertools.repeat(scale.S.ENROLMENT_ORDER_REQUIRED)
    password, now = make_password(None), timezone.now()
    offset = Citizen.objects.aggregate(top=Max("pk"))["top"] or 0
    total = cohorts * PER_COHORT  # scale._batch gives row n the cohort new[n % len(new)]: three each
    for start in range(0, total, scale.BATCH):
        size = min(scale.BATCH, total - start)
        with transaction.atomic():
            scale._batch(offset + start, size, new, regions, categories, statuses, password, now)
    scale.reset_sequences(*scale.GENERATED)


def run(ctx) -> list[dict]:
    from orders.services.automatic import automatic_orders_run

    cohorts = ctx.scale.night_cohorts
    _prepare(ctx, dt.date(2026, 11, 30), cohorts)  # the same partners switched to automatic mode
    started = time.perf_counter()
    backlog = sum(1 for o in automatic_orders_run(night=dt.date(2026, 11, 30)) if o.number)
    backlog_time = time.perf_counter() - started
    times, orders = [], []
    for i in range(RUNS):
        night = dt.date(2026, 12, 1 + i)
        _prepare(ctx, night, cohorts)
        started = time.perf_counter()
        outcome = automatic_orders_run(night=night)
        times.append(time.perf_counter() - started)
        errors = [o.error for o in outcome if o.error]
        assert not errors, errors[:3]
        orders.append(sum(1 for o in outcome if o.number))
    median = statistics.median(times)
    return [result(f"Automatic orders night, {count(cohorts)} cohorts starting that day", value=median, unit="s",
                   target="≤ 60 s for 5 000 cohorts (pro rata below)", met=median <= 60 * min(cohorts, 5_000) / 5_000,
                   note=f"{orders[-1]} enrolment orders of {PER_COHORT} citizens each per night (runs: "
                        f"{', '.join(str(o) for o in orders)} orders); runs {', '.join(f'{t:.1f}' for t in times)} s; "
                        f"the backlog night before: {backlog} orders in {backlog_time:.1f} s; PDFs rendered "
                        "afterwards by the workers")]
