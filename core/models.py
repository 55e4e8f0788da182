"""Building blocks shared by every app: timestamps, history rows, the e-mail outbox,
export jobs and the working-day calendar overrides. No domain words here."""
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.fsm import ProtectedStatusMixin


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("создано"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        abstract = True


class EventBase(models.Model):
    """Append-only history: one row per transition or note. A concrete subclass adds
    `subject = ForeignKey(<Model>, CASCADE, related_name="events")`."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("автор"),
    )
    transition = models.CharField(_("действие"), max_length=60)
    source = models.CharField(_("из статуса"), max_length=40, blank=True)
    target = models.CharField(_("в статус"), max_length=40, blank=True)
    comment = models.TextField(_("комментарий"), blank=True)
    created_at = models.DateTimeField(_("время"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.transition}: {self.source} → {self.target}"


class WorkingDayOverride(models.Model):
    """An admin's correction to the production calendar for one date (a decree the
    `holidays` package does not know yet, or a regional day off)."""

    date = models.DateField(_("дата"), unique=True)
    is_working = models.BooleanField(_("рабочий день"))
    note = models.CharField(_("основание"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("исключение производственного календаря")
        verbose_name_plural = _("исключения производственного календаря")
        ordering = ["-date"]

    def __str__(self):
        kind = _("рабочий") if self.is_working else _("выходной")
        return f"{self.date:%d.%m.%Y} — {kind}"


class OutgoingEmail(ProtectedStatusMixin, models.Model):
    """The outbox: every e-mail is a row first, then sent by a Celery task with retries,
    so nothing is lost while SMTP is down."""

    class Status(models.TextChoices):
        PENDING = "pending", _("ожидает отправки")
        SENT = "sent", _("отправлено")
        FAILED = "failed", _("не отправлено")

    to = models.EmailField(_("получатель"), db_index=True)
    subject = models.CharField(_("тема"), max_length=255)
    body_text = models.TextField(_("текст"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.PENDING, protected=True)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    created_at = models.DateTimeField(_("создано"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    # Back-off for the beat's flush; a retrying task may send earlier, the row lock keeps it single.
    next_attempt_at = models.DateTimeField(_("следующая попытка"), null=True, blank=True)

    class Meta:
        verbose_name = _("письмо")
        verbose_name_plural = _("исходящие письма")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]

    def __str__(self):
        return f"{self.to}: {self.subject}"

    @transition(field=status, source=[Status.PENDING, Status.FAILED], target=Status.SENT)
    def mark_sent(self):
        self.sent_at = timezone.now()
        self.attempts += 1
        self.last_error = ""
        self.next_attempt_at = None
    mark_sent.alters_data = True

    @transition(field=status, source=[Status.PENDING, Status.FAILED], target=Status.FAILED)
    def mark_failed(self, error: str, retry_at=None):
        self.attempts += 1
        self.last_error = error[:2000]
        self.next_attempt_at = retry_at
    mark_failed.alters_data = True


def _download_token():
    return secrets.token_urlsafe(32)


class FormSubmission(models.Model):
    """One submitted form, by its submission key (core.middleware.DuplicateSubmissionMiddleware):
    a second POST with the same key (a double click, a resent form) is not run again (REL-06).
    Kept a day (core.tasks.form_submissions_purge_task)."""

    key = models.CharField(_("ключ отправки"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("создано"), default=timezone.now, db_index=True)
    # Where the first submission's success sent the user; empty while it runs.
    location = models.CharField(_("адрес ответа"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("отправка формы")
        verbose_name_plural = _("отправки форм")

    def __str__(self):
        return self.key


class ExportJob(ProtectedStatusMixin, models.Model):
    """A CSV/XLSX export built in the background and downloadable by its owner until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("в очереди")
        RUNNING = "running", _("формируется")
        READY = "ready", _("готов")
        FAILED = "failed", _("ошибка")
        EXPIRED = "expired", _("срок хранения истёк")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="export_jobs",
                              verbose_name=_("владелец"))
    kind = models.CharField(_("выгрузка"), max_length=60, help_text=_("имя зарегистрированной выгрузки"))
    title = models.CharField(_("название"), max_length=200)
    params = models.JSONField(_("параметры"), default=dict, blank=True)
    format = models.CharField(_("формат"), max_length=4, choices=Format, default=Format.CSV)
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.PENDING, protected=True)
    total_rows = models.PositiveIntegerField(_("строк всего"), null=True, blank=True)
    done_rows = models.PositiveIntegerField(_("строк готово"), default=0)
    file = models.FileField(_("файл"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("ошибка"), blank=True)
    download_token = models.CharField(max_length=64, default=_download_token, unique=True, editable=False)
    created_at = models.DateTimeField(_("создано"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("начато"), null=True, blank=True)
    finished_at = models.DateTimeField(_("готово"), null=True, blank=True)
    expires_at = models.DateTimeField(_("хранится до"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("выгрузка")
        verbose_name_plural = _("выгрузки")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def in_progress(self) -> bool:
        """Still queued or being built: the status page keeps polling."""
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def progress(self) -> int:
        """Per cent done, for the progress bar."""
        if self.status == self.Status.READY:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.done_rows * 100 // self.total_rows)

    @transition(field=status, source=Status.PENDING, target=Status.RUNNING)
    def start(self, total_rows: int | None):
        self.total_rows = total_rows
        self.started_at = timezone.now()
    start.alters_data = True

    @transition(field=status, source=Status.RUNNING, target=Status.READY)
    def finish(self):
        self.finished_at = timezone.now()
        self.expires_at = self.finished_at + settings.EXPORT_TTL
    finish.alters_data = True

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.FAILED)
    def fail(self, error: str):
        self.error = error[:2000]
        self.finished_at = timezone.now()
    fail.alters_data = True

    @transition(field=status, source=Status.READY, target=Status.EXPIRED)
    def expire(self):
        pass
    expire.alters_data = True


class ImportRun(ProtectedStatusMixin, models.Model):
    """One delivery of a feed file (core.imports.run_recorded): who sent it, its sha256, what it
    changed, and its row-error report. A file whose sha256 a completed run of the same source and
    kind already has is recorded as a duplicate and not processed again (security checklist IMP-01)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("выполняется")
        COMPLETED = "completed", _("импортирован")
        COMPLETED_WITH_ERRORS = "completed_with_errors", _("импортирован, есть отклонённые строки")
        DUPLICATE = "duplicate", _("повтор уже загруженного файла")
        REFUSED = "refused", _("файл не принят")
        INTERRUPTED = "interrupted", _("прерван")

    source = models.CharField(_("источник"), max_length=40)
    kind = models.CharField(_("вид файла"), max_length=40)
    file_name = models.CharField(_("имя файла"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256 файла"), max_length=64, blank=True, db_index=True)
    initiator = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("кто загрузил"))
    initiator_label = models.CharField(_("запущен"), max_length=200, blank=True,
                                       help_text=_("команда и пользователь ОС или сотрудник в админке"))
    status = FSMField(_("статус"), max_length=30, choices=Status, default=Status.RUNNING, protected=True)
    duplicate_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("повтор запуска"))
    started_at = models.DateTimeField(_("начат"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("строк в файле"), default=0)
    created = models.PositiveIntegerField(_("создано"), default=0)
    updated = models.PositiveIntegerField(_("обновлено"), default=0)
    unchanged = models.PositiveIntegerField(_("без изменений"), default=0)
    rejected = models.PositiveIntegerField(_("отклонено строк"), default=0)
    counts = models.JSONField(_("все итоги"), default=dict, blank=True)
    # [[row, column, reason], …] with personal data masked; capped, `errors_total` has the full count.
    errors = models.JSONField(_("отчёт об ошибках"), default=list, blank=True)
    errors_total = models.PositiveIntegerField(_("ошибок всего"), default=0)
    message = models.TextField(_("пояснение"), blank=True)

    class Meta:
        verbose_name = _("загрузка файла")
        verbose_name_plural = _("загрузки файлов")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # One running or cleanly completed run per file: a second delivery, even a concurrent
            # one, cannot insert its own and is recorded as a duplicate instead.
            models.UniqueConstraint(fields=["source", "kind", "sha256"], name="importrun_one_per_file",
                                    condition=models.Q(status__in=["running", "completed"]) & ~models.Q(sha256="")),
        ]

    def __str__(self):
        return f"{self.source}/{self.kind}: {self.file_name or self.sha256[:12]}"

    @transition(field=status, source=Status.RUNNING, target=Status.COMPLETED)
    def complete(self):
        self.finished_at = timezone.now()
    complete.alters_data = True

    @transition(field=status, source=Status.RUNNING, target=Status.COMPLETED_WITH_ERRORS)
    def complete_with_errors(self):
        self.finished_at = timezone.now()
    complete_with_errors.alters_data = True

    @transition(field=status, source=Status.RUNNING, target=Status.REFUSED)
    def refuse(self, reason: str):
        self.message = reason
        self.finished_at = timezone.now()
    refuse.alters_data = True

    @transition(field=status, source=Status.RUNNING, target=Status.INTERRUPTED)
    def interrupt(self, reason: str):
        self.message = reason[:2000]
        self.finished_at = timezone.now()
    interrupt.alters_data = True
