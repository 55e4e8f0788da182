"""manage.py import_odin programs|cohorts|results FILE: import an Odin file (docs/imports.md).

Exit codes: 0 every row imported, 3 some rows rejected (the rest imported; see the error
report), 1 the file is unusable or the kind unknown (nothing imported), 4 interrupted by a
database error (batches before it are saved; running the same file again is safe).
"""
import sys
from pathlib import Path

from core.imports import BATCH_SIZE, EXIT_UNUSABLE, ImportInterrupted, ImportResult, write_error_report
from privacy.commands import PersonalDataCommand, os_user
from programs.services.odin import FEEDS, UnknownFeed, odin_import

EXIT_INTERRUPTED = 4
ERRORS_PRINTED = 100


class Command(PersonalDataCommand):
    help = ("Импорт из Odin: программы (programs), потоки (cohorts) или результаты обучения (results) "
            "из CSV (с заголовком; «,» или «;») или JSON Lines. Коды выхода: 0 — всё импортировано, "
            "3 — часть строк отклонена, 1 — файл не принят, ничего не импортировано.")

    def add_arguments(self, parser):
        parser.add_argument("kind", help="вид файла: " + ", ".join(FEEDS))
        parser.add_argument("file", type=Path, help="путь к файлу CSV или JSONL")
        parser.add_argument("--errors", type=Path, default=None,
                            help="куда записать отчёт об ошибках (по умолчанию <имя>.errors.csv рядом с файлом)")
        parser.add_argument("--dry-run", action="store_true", help="проверить файл, ничего не записывая")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="строк в одной транзакции")

    def handle(self, *args, kind, file, errors, dry_run, batch_size, **options):
        try:
            result = odin_import(kind=kind, source=file, dry_run=dry_run, batch_size=max(1, batch_size),
                                 initiator=f"manage.py ({os_user()})")
        except UnknownFeed as exc:
            self.stderr.write(str(exc))
            sys.exit(EXIT_UNUSABLE)
        except ImportInterrupted as exc:
            self.stderr.write(str(exc))
            self.stderr.write("Предыдущие пакеты записаны; повторный запуск с тем же файлом безопасен.")
            self._report(exc.result, kind, file, errors)
            sys.exit(EXIT_INTERRUPTED)
        self._report(result, kind, file, errors, dry_run=dry_run)
        if result.exit_code:
            sys.exit(result.exit_code)

    def _report(self, result: ImportResult, kind: str, file: Path, errors_path: Path | None, dry_run=False):
        if result.unusable:
            self.stderr.write(f"{file}: файл не принят, ничего не импортировано. {result.unusable}")
            return
        for error in result.errors[:ERRORS_PRINTED]:
            self.stderr.write(f"строка {error.row}, {error.column or '—'}: {error.reason}")
        if len(result.errors) > ERRORS_PRINTED:
            self.stderr.write(f"… и ещё ошибок: {len(result.errors) - ERRORS_PRINTED}")
        if result.errors:
            path = write_error_report(result.errors, errors_path or file.with_name(file.stem + ".errors.csv"))
            self.stderr.write(f"Отчёт об ошибках: {path}")
        for note in result.notes:
            self.stdout.write(note)
        prefix = "Проверка без записи" if dry_run else "Импорт"
        feed = FEEDS[kind]
        summary = result.summary(feed.outcome_labels, feed.extra_outcome_labels)
        style = self.style.WARNING if result.errors else self.style.SUCCESS
        self.stdout.write(style(f"{prefix} {file.name} (строк с данными: {result.rows}): {summary}."))

