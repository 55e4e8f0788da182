"""Scale data for benchmarks: `manage.py generate_scale_data --applications 1000000 --partners 2000
--cohorts 20000 [--seed 0] [--campaign amsz-2026] [--force]`.

Adds partners (two programs each, the cohorts spread over them, a registered contract and a signed
act each) and applications with their citizens in a realistic status mix, their history rows and
document scans (analytics.scale; `COPY` on PostgreSQL). The same seed on a fresh database makes the
same data. It refuses a database with real citizens (any citizen not made by this generator) unless
--force: fake people must never mix with real ones. The analytics summaries are rebuilt at the end,
so the analytics page shows the new data at once."""
import math
import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Campaign
from analytics import scale
from analytics.services import summaries_refresh
from enrollment.models import Citizen


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise CommandError(f"Нужно целое положительное число, а не «{value}».")
    return number


class Command(BaseCommand):
    help = "Создаёт объёмные тестовые данные для замеров производительности."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=_positive, default=1_000_000, help="число заявок")
        parser.add_argument("--partners", type=_positive, default=2_000, help="число партнёров")
        parser.add_argument("--cohorts", type=_positive, default=20_000, help="число потоков (на всех партнёров)")
        parser.add_argument("--seed", type=int, default=0, help="зерно генератора (одинаковое — одинаковые данные)")
        parser.add_argument("--campaign", default="amsz-2026", help="код кампании (создаётся, если её нет)")
        parser.add_argument("--force", action="store_true", help="добавить данные в базу, где есть настоящие граждане")

    def handle(self, *args, applications, partners, cohorts, seed, campaign, force, **options):
        if not force and Citizen.objects.exclude(email__endswith=scale.EMAIL_DOMAIN).exists():
            raise CommandError("В базе есть настоящие граждане: тестовые данные добавляются только в отдельную "
                               "базу (или с --force).")
        campaign_obj = Campaign.objects.get_or_create(code=campaign, defaults={
            "national_project": Campaign.NationalProject.ACTIVE_EMPLOYMENT, "year": 2026,
            "title": "АМСЗ 2026 (объёмные данные)", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})[0]
        per_program = max(1, math.ceil(cohorts / (partners * scale.PROGRAMS_PER_PARTNER)))
        started = time.perf_counter()

        def progress(done):
            if done % 100_000 == 0 or done == applications:
                self.stdout.write(f"{done} заявок, {time.perf_counter() - started:.0f} с")

        scale.generate(campaign_obj, applications, partners=partners, programs_per_partner=scale.PROGRAMS_PER_PARTNER,
                       cohorts_per_program=per_program, seed=seed, mix=scale.REALISTIC_MIX, progress=progress)
        run = summaries_refresh()
        self.stdout.write(self.style.SUCCESS(
            f"Готово: {applications} заявок, {partners} партнёров, "
            f"{partners * scale.PROGRAMS_PER_PARTNER * per_program} потоков за {time.perf_counter() - started:.0f} с "
            f"(сводка аналитики пересчитана за {run.seconds:.1f} с)."))
