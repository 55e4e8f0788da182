from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from privacy.commands import PersonalDataCommand
from privacy.retention import destroy_expired


class Command(PersonalDataCommand):
    help = ("Уничтожает персональные данные с истёкшим сроком хранения и после отзыва согласия, "
            "с актом об уничтожении (то же, что ночное задание).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="только показать, что будет уничтожено")
        parser.add_argument("--operator", help="e-mail сотрудника, выполняющего уничтожение (в акт)")

    def handle(self, *args, dry_run=False, operator=None, **options):
        actor = None
        if operator:
            actor = get_user_model().objects.filter(email__iexact=operator).first()
            if actor is None:
                raise CommandError(f"Нет пользователя {operator}")
        report = destroy_expired(dry_run=dry_run, actor=actor)
        prefix = "[проверка] " if dry_run else ""
        for subject_id in report.destroyed:
            self.stdout.write(f"{prefix}уничтожены данные гражданина #{subject_id}")
        for subject_id, reason in report.held.items():
            self.stdout.write(f"{prefix}гражданин #{subject_id} сохранён: {reason}")
        for key, count in report.purged.items():
            if count:
                self.stdout.write(f"{prefix}{key}: удалено {count}")
        self.stdout.write(f"{prefix}итого: уничтожено {len(report.destroyed)}, удержано {len(report.held)}")
