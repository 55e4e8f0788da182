"""manage.py import_rr_events FILE: events of applications from Работа России — the intention
agreement signed, the service terminated, the citizen employed (docs/imports.md). Exit codes as
import_applications: 0, 3 some rows rejected, 1 file unusable, 4 interrupted by a database error.
"""
from enrollment.management.commands.import_applications import RRImportCommand


class Command(RRImportCommand):
    help = ("Импорт событий заявок с «Работы России» (agreement_signed, service_terminated, employed) из CSV "
            "или JSON Lines. Коды выхода: 0 — всё применено, 3 — часть строк отклонена, 1 — файл не принят, "
            "4 — прервано ошибкой базы данных.")
    kind = "events"
