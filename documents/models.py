"""Files Flow produces and receives: generated PDFs (rendered once, kept) and the detached
electronic signatures (.sig) each party uploads for them. Nothing is ever overwritten."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.fsm import ProtectedStatusMixin


class GeneratedDocument(ProtectedStatusMixin, models.Model):
    """A PDF rendered in the background from a Russian template (a contract, an agreement, a
    cost proposal…). Created `pending` before the task is queued; the task fills the file."""

    class Status(models.TextChoices):
        PENDING = "pending", _("формируется")
        READY = "ready", _("готов")
        FAILED = "failed", _("ошибка формирования")

    kind = models.CharField(_("вид документа"), max_length=40, db_index=True)
    number = models.CharField(_("номер"), max_length=60, blank=True)
    title = models.CharField(_("название"), max_length=300)
    file = models.FileField(_("файл"), upload_to="documents/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    status = FSMField(_("статус"), max_length=10, choices=Status, default=Status.PENDING, protected=True)
    error = models.TextField(_("ошибка"), blank=True)
    # The Celery task that renders it, so the relay can queue it again if the broker lost it (REL-03).
    render_task = models.CharField(_("задача формирования"), max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("создал"))
    created_at = models.DateTimeField(_("создан"), default=timezone.now)
    rendered_at = models.DateTimeField(_("сформирован"), null=True, blank=True)

    class Meta:
        verbose_name = _("сформированный документ")
        verbose_name_plural = _("сформированные документы")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @transition(field=status, source=Status.PENDING, target=Status.READY)
    def mark_ready(self, sha256: str):
        self.sha256 = sha256
        self.rendered_at = timezone.now()
        self.error = ""
    mark_ready.alters_data = True

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def mark_failed(self, error: str):
        self.error = error[:2000]
    mark_failed.alters_data = True


class Signature(models.Model):
    """One party's detached CMS (PKCS#7) signature of a generated document, stored as uploaded."""

    class Party(models.TextChoices):
        OPERATOR = "operator", _("Федеральный оператор")
        PARTNER = "partner", _("Образовательный партнёр")

    document = models.ForeignKey(GeneratedDocument, models.PROTECT, related_name="signatures",
                                 verbose_name=_("документ"))
    party = models.CharField(_("сторона"), max_length=10, choices=Party)
    file = models.FileField(_("файл подписи"), upload_to="signatures/%Y/%m/")
    original_name = models.CharField(_("имя файла"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("загрузил"))
    uploaded_at = models.DateTimeField(_("загружена"), default=timezone.now)

    class Meta:
        verbose_name = _("электронная подпись")
        verbose_name_plural = _("электронные подписи")
        ordering = ["uploaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["document", "party"], name="uniq_signature_per_party")]

    def __str__(self):
        return f"{self.get_party_display()}: {self.original_name}"
