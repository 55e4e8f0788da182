"""The audit trail, consent records, blocking after a withdrawal, destruction evidence and
subject-access requests. Subjects are citizens, referred to by primary key (`subject_id`), so that
these rows outlive the citizen (see the package docstring).

AuditEvent, ConsentRecord and DestructionEvidence are append-only: the model refuses updates and
early deletes, and on PostgreSQL a trigger (migration 0002) refuses them for every client of the
database, the Django admin and a raw `UPDATE` included (LOG-04, PDN-01)."""
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.fsm import ProtectedStatusMixin

# Evidence of destruction and the audit trail are kept three years (RKN order 179; LOG-07).
# The PostgreSQL trigger holds the same figure (migration 0002): change both together.
EVIDENCE_RETENTION = timedelta(days=3 * 365 + 1)


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete (too early) an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def delete(self):
        cutoff = timezone.now() - EVIDENCE_RETENTION
        if self.filter(created_at__gt=cutoff).exists():
            raise AppendOnlyError(f"{self.model.__name__} rows are kept {EVIDENCE_RETENTION.days} days")
        return super().delete()

    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    created_at = models.DateTimeField(_("время (UTC)"), default=timezone.now, db_index=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.created_at > timezone.now() - EVIDENCE_RETENTION:
            raise AppendOnlyError(f"{type(self).__name__} rows are kept {EVIDENCE_RETENTION.days} days")
        return super().delete(*args, **kwargs)


def _user_reference(**kwargs):
    """A user kept by id only: the row outlives the account and never blocks deleting it
    (DO_NOTHING, no database constraint: a SET_NULL would be an UPDATE, which the trigger refuses)."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, models.DO_NOTHING, db_constraint=False, null=True,
                             blank=True, related_name="+", **kwargs)


class AuditEvent(AppendOnlyModel):
    """Who read, downloaded, exported or changed whose personal data, from where (LOG-01)."""

    class Action(models.TextChoices):
        READ = "read", _("просмотр")
        DOWNLOAD = "download", _("скачивание")
        EXPORT = "export", _("выгрузка")
        CHANGE = "change", _("изменение")
        TRANSITION = "transition", _("смена статуса")
        DENIED = "denied", _("отказ в доступе")
        ALERT = "alert", _("подозрительная активность")
        CONSENT = "consent", _("согласие или отзыв")
        DESTROY = "destroy", _("уничтожение")
        COMMAND = "command", _("команда сопровождения")

    actor = _user_reference(verbose_name=_("пользователь"))
    actor_label = models.CharField(_("пользователь (как был записан)"), max_length=254, blank=True)
    role = models.CharField(_("роль"), max_length=30, blank=True)
    organization_id = models.BigIntegerField(_("организация (id)"), null=True, blank=True)
    action = models.CharField(_("действие"), max_length=12, choices=Action)
    object_type = models.CharField(_("тип объекта"), max_length=60, blank=True)
    object_id = models.CharField(_("объект (id)"), max_length=40, blank=True)
    subject_id = models.BigIntegerField(_("гражданин (id)"), null=True, blank=True)
    url_name = models.CharField(_("страница"), max_length=100, blank=True)
    method = models.CharField(_("метод"), max_length=8, blank=True)
    status_code = models.PositiveSmallIntegerField(_("ответ"), null=True, blank=True)
    request_id = models.CharField(_("ID запроса"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    details = models.JSONField(_("подробности"), default=dict, blank=True)

    class Meta:
        verbose_name = _("событие аудита")
        verbose_name_plural = _("журнал аудита")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["actor", "created_at"], name="audit_actor_created"),
            models.Index(fields=["subject_id", "created_at"], name="audit_subject_created"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}"


class ConsentRecord(AppendOnlyModel):
    """One consent given or withdrawn, for one purpose, with the version and SHA-256 of the exact
    text the citizen saw (PDN-01). A withdrawal is a new record, never an edit."""

    class Purpose(models.TextChoices):
        PROCESSING = "processing", _("обработка персональных данных")
        TRANSFER = "transfer", _("передача образовательной организации")

    class Action(models.TextChoices):
        GIVEN = "given", _("дано")
        WITHDRAWN = "withdrawn", _("отозвано")

    subject_id = models.BigIntegerField(_("гражданин (id)"))
    user = _user_reference(verbose_name=_("учётная запись"))
    purpose = models.CharField(_("цель"), max_length=20, choices=Purpose)
    action = models.CharField(_("действие"), max_length=10, choices=Action, default=Action.GIVEN)
    text_version = models.CharField(_("версия текста"), max_length=20)
    text_sha256 = models.CharField(_("SHA-256 текста"), max_length=64)
    ip = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    user_agent = models.CharField(_("браузер"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("согласие на обработку ПД")
        verbose_name_plural = _("согласия на обработку ПД")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject_id", "purpose", "-created_at"], name="consent_subject_purpose")]

    def __str__(self):
        return f"{self.get_purpose_display()}: {self.get_action_display()} ({self.text_version})"


class Blocking(models.Model):
    """Блокирование: the citizen withdrew consent. From `blocked_at` the citizen's applications are
    hidden from partners and their exports; the destruction job destroys the data after
    `destroy_after` unless a legal hold (another legal basis) keeps it (PDN-02)."""

    subject_id = models.BigIntegerField(_("гражданин (id)"), unique=True)
    reason = models.CharField(_("основание"), max_length=200)
    blocked_at = models.DateTimeField(_("заблокировано"), default=timezone.now)
    destroy_after = models.DateTimeField(_("уничтожить после"), db_index=True)
    legal_hold = models.TextField(_("иное законное основание"), blank=True)
    destroyed_at = models.DateTimeField(_("уничтожено"), null=True, blank=True)

    class Meta:
        verbose_name = _("блокирование ПД")
        verbose_name_plural = _("блокирования ПД")
        ordering = ["-blocked_at"]

    def __str__(self):
        return f"#{self.subject_id}: {self.reason}"


class DestructionEvidence(AppendOnlyModel):
    """Акт об уничтожении ПД (RKN order 179): whose data (a hash, never the data), which categories,
    in which system, why, when and by whom, with an extract file (PDN-04). Kept three years; the
    destruction job never destroys it."""

    subject_id = models.BigIntegerField(_("гражданин (id)"), null=True, blank=True, db_index=True)
    subject_hash = models.CharField(_("идентификатор субъекта (SHA-256)"), max_length=64, db_index=True)
    subject_masked = models.CharField(_("субъект (маска)"), max_length=200, blank=True)
    categories = models.JSONField(_("категории"), default=list)
    system = models.CharField(_("информационная система"), max_length=100, default="Flow")
    reason = models.CharField(_("причина"), max_length=300)
    performed_by = _user_reference(verbose_name=_("выполнил"))
    performed_by_label = models.CharField(_("выполнил (как был записан)"), max_length=254)
    destroyed = models.JSONField(_("уничтожено (строк, файлов)"), default=dict)
    extract = models.FileField(_("выписка"), upload_to="privacy/evidence/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("акт об уничтожении ПД")
        verbose_name_plural = _("акты об уничтожении ПД")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%d.%m.%Y} {self.subject_masked or self.subject_hash[:12]}"


class SubjectAccessRequest(ProtectedStatusMixin, models.Model):
    """A data subject's request and its legal deadline in Russian working days (152-FZ art. 20, 21):
    access to the data held (10 days, extendable once by 5 with a reasoned notice, PDN-05), correction
    of inaccurate data (7 days), unlawful processing (stop within 3 days; data that cannot be made
    lawful destroyed within 10) — PDN-06. A request not answered by its due day is escalated."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("доступ к своим данным")
        CORRECTION = "correction", _("исправление данных")
        UNLAWFUL = "unlawful", _("неправомерная обработка")

    class Status(models.TextChoices):
        RECEIVED = "received", _("получен")
        ESCALATED = "escalated", _("просрочен, передан ответственному")
        ANSWERED = "answered", _("ответ дан")

    subject_id = models.BigIntegerField(_("гражданин (id)"), db_index=True)
    kind = models.CharField(_("вид запроса"), max_length=12, choices=Kind, default=Kind.ACCESS)
    status = FSMField(_("статус"), max_length=12, choices=Status, default=Status.RECEIVED, protected=True)
    received_on = models.DateField(_("получен"))
    due_on = models.DateField(_("ответить до"))
    extended_due_on = models.DateField(_("продлено до"), null=True, blank=True)
    # Unlawful processing that cannot be made lawful: the data must be destroyed by this day.
    destroy_by = models.DateField(_("уничтожить до"), null=True, blank=True)
    answered_at = models.DateTimeField(_("ответ дан"), null=True, blank=True)
    channel = models.CharField(_("способ"), max_length=20, default="cabinet")
    note = models.TextField(_("суть запроса и ответ"), blank=True)

    class Meta:
        verbose_name = _("запрос субъекта ПД")
        verbose_name_plural = _("запросы субъектов ПД")
        ordering = ["-received_on", "-pk"]

    def __str__(self):
        return f"#{self.subject_id} {self.get_kind_display()} {self.received_on:%d.%m.%Y}"

    @property
    def deadline(self):
        return self.extended_due_on or self.due_on

    @transition(field=status, source=Status.RECEIVED, target=Status.ESCALATED)
    def escalate(self):
        pass

    @transition(field=status, source=[Status.RECEIVED, Status.ESCALATED], target=Status.ANSWERED)
    def answer(self):
        self.answered_at = timezone.now()
