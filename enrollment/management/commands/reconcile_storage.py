"""manage.py reconcile_storage [--dry-run]: delete stored files that no row points to (older than
an hour, so an upload in flight is never touched) and list rows whose file is missing (UPL-08).
The nightly beat runs the same; the command is for ops after an incident or a restore."""
from enrollment.services.uploads import storage_reconcile
from privacy.commands import PersonalDataCommand


class Command(PersonalDataCommand):
    help = ("Удаляет из хранилища файлы, на которые не ссылается ни одна запись (старше часа), "
            "и перечисляет записи, чьи файлы пропали.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="только показать, ничего не удаляя")

    def handle(self, *args, dry_run=False, **options):
        report = storage_reconcile(dry_run=dry_run)
        verb = "будет удалён" if dry_run else "удалён"
        for name in report.deleted:
            self.stdout.write(f"{verb} файл без записи: {name}")
        for line in report.missing:
            self.stderr.write(f"нет файла: {line}")
        self.stdout.write(f"Файлов без записи: {len(report.deleted)}; записей без файла: {len(report.missing)}.")
