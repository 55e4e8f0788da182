"""Run a night of automatic orders by hand: `manage.py run_automatic_orders [--date YYYY-MM-DD] [--dry-run]`.

Without --date, tonight (today in Moscow time). The run is idempotent: a night already run
creates nothing new. Prints one line per order generated (or planned, with --dry-run); a cohort
that failed is reported and the command exits with an error after the others were generated."""
import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from orders.services.automatic import automatic_orders_run
from privacy.commands import PersonalDataCommand


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Неверная дата «{value}»: нужен формат ГГГГ-ММ-ДД.") from None


class Command(PersonalDataCommand):
    help = "Формирует автоматические приказы за ночь (по умолчанию — сегодняшнюю)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="ночь, ГГГГ-ММ-ДД (по умолчанию сегодня по Москве)")
        parser.add_argument("--dry-run", action="store_true", help="только показать, что будет сформировано")

    def handle(self, *args, date=None, dry_run=False, **options):
        night = date or timezone.localdate()
        orders = automatic_orders_run(night=night, dry_run=dry_run)
        verb = "будет сформирован" if dry_run else "сформирован"
        created = 0
        for order in orders:
            if order.error:
                self.stderr.write(f"поток {order.cohort_id}: {order.kind_display} — ошибка: {order.error}")
            elif order.skipped:
                self.stdout.write(f"поток {order.cohort_id}: {order.kind_display} — {order.skipped}")
            elif order.number:
                created += 1
                self.stdout.write(f"{order.number}: {order.kind_display}, поток {order.cohort_id}, {verb}; "
                                  f"слушателей {len(order.rr_numbers)}: {', '.join(order.rr_numbers)}")
        summary = "Будет сформировано" if dry_run else "Сформировано"
        self.stdout.write(self.style.SUCCESS(f"Ночь {night:%d.%m.%Y}: {summary} приказов: {created}."))
        failed = [order for order in orders if order.error]
        if failed:
            raise CommandError(f"Не сформированы приказы потоков: {', '.join(str(o.cohort_id) for o in failed)} "
                               "(подробности выше и в журнале).")
