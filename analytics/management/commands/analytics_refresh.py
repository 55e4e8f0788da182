"""`manage.py analytics_refresh`: rebuild the analytics page's summaries now (Celery beat does it
every few minutes; after a bulk load or a restore, run it by hand)."""
from django.core.management.base import BaseCommand

from analytics.services import summaries_refresh


class Command(BaseCommand):
    help = "Пересчитывает сводку для страницы аналитики."

    def handle(self, *args, **options):
        run = summaries_refresh()
        self.stdout.write(self.style.SUCCESS(
            f"Сводка аналитики пересчитана за {run.seconds:.1f} с (данные на {run.built_at:%d.%m.%Y %H:%M:%S})."))
