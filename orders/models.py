"""Orders (приказы) of a partner per cohort: enrolment, expulsion with a basis, extension
(reference §4; DESIGN §4). Orders have no status: they are created by hand (manual mode) or
generated at night (automatic mode), get a scan, are assigned to applications, and are never
deleted. Each assignment is one line of the РР re-keying dashboard until staff tick it entered
on Работа России; after the first tick only the order's scan may be replaced (kept with history).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import EventBase, TimeStampedModel
from programs.models import PartnerScopedQuerySet


class OrderQuerySet(PartnerScopedQuerySet):
    """The operator and auditors see every order; partner staff their organisation's. Citizens
    reach their own orders through their applications (orders.selectors.citizen_orders)."""


class Order(TimeStampedModel):
    """One order of a partner for one cohort, listing the applications assigned to it."""

    class Type(models.TextChoices):
        ENROLMENT = "enrolment", _("О зачислении")
        EXPULSION = "expulsion", _("Об отчислении")
        EXTENSION = "extension", _("О продлении обучения")

    class Basis(models.TextChoices):
        OWN_REQUEST = "own_request", _("Заявление слушателя")
        FAILURE = "failure", _("Неуспеваемость")
        QUALIFICATION = "qualification", _("Выдача документа о квалификации")

    # Types whose data staff re-key on Работа России; an extension order is informational only.
    SENT_TO_PORTAL = (Type.ENROLMENT, Type.EXPULSION)

    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="orders",
                                verbose_name=_("образовательный партнёр"))
    cohort = models.ForeignKey("programs.Cohort", models.PROTECT, related_name="orders", verbose_name=_("поток"))
    type = models.CharField(_("тип"), max_length=10, choices=Type)
    basis = models.CharField(_("основание"), max_length=15, choices=Basis, blank=True)
    number = models.CharField(_("номер"), max_length=60, db_index=True)
    order_date = models.DateField(_("дата приказа"))
    # The expulsion date may differ from the order date, in the past or the future (reference §4.2).
    expelled_on = models.DateField(_("дата отчисления"), null=True, blank=True)
    is_automatic = models.BooleanField(_("сформирован автоматически"), default=False)
    # The night an automatic order was generated for, and its place among that cohort's orders of
    # the same type and basis (1 → «…-ПЗ», 2 → «…-ПЗ-2»): a second run of the night finds it.
    night = models.DateField(_("ночь формирования"), null=True, blank=True)
    sequence = models.PositiveSmallIntegerField(_("порядковый номер"), default=1)
    document = models.ForeignKey("documents.GeneratedDocument", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("сформированный PDF"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("создал"))
    # Set when staff first tick one of its applications entered on РР: from then on the number and
    # dates are frozen and only the scan may be replaced.
    rr_entered_at = models.DateTimeField(_("впервые внесён на РР"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("приказ")
        verbose_name_plural = _("приказы")
        ordering = ["-order_date", "-pk"]
        indexes = [
            models.Index(fields=["partner", "-order_date"], name="order_partner_date"),
            models.Index(fields=["cohort", "type", "basis"], name="order_cohort_type"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"], name="uniq_order_number",
                                    violation_error_message=_("Приказ с таким номером у организации уже есть.")),
            models.UniqueConstraint(fields=["cohort", "type", "basis", "night"], condition=Q(is_automatic=True),
                                    name="uniq_automatic_order_night"),
            models.CheckConstraint(condition=Q(type="expulsion", basis__gt="") | (~Q(type="expulsion") & Q(basis="")),
                                   name="order_basis_only_for_expulsion"),
        ]

    def __str__(self):
        return _("Приказ № %(number)s от %(date)s") % {"number": self.number, "date": f"{self.order_date:%d.%m.%Y}"}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("orders:order_detail", args=[self.pk])

    @property
    def kind_display(self) -> str:
        """«Об отчислении (Неуспеваемость)», «О зачислении»."""
        if self.basis:
            return f"{self.get_type_display()} ({self.get_basis_display()})"
        return self.get_type_display()

    @property
    def is_sent_to_portal(self) -> bool:
        return self.type in self.SENT_TO_PORTAL

    @property
    def is_frozen(self) -> bool:
        """Entered on РР for at least one application: only the scan may change."""
        return self.rr_entered_at is not None


class OrderScan(models.Model):
    """One version of an order's scan (exactly one current). A replacement is a new version; the
    old one is kept with its author and time."""

    order = models.ForeignKey(Order, models.CASCADE, related_name="scans", verbose_name=_("приказ"))
    version = models.PositiveSmallIntegerField(_("версия"), default=1)
    is_current = models.BooleanField(_("текущая версия"), default=True)
    file = models.FileField(_("файл"), upload_to="orders/%Y/%m/")
    content_type = models.CharField(_("тип содержимого"), max_length=60)
    size = models.PositiveIntegerField(_("размер, байт"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("загрузил"))
    uploaded_at = models.DateTimeField(_("загружен"), default=timezone.now)

    class Meta:
        verbose_name = _("скан приказа")
        verbose_name_plural = _("сканы приказов")
        ordering = ["order", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="uniq_order_scan_version"),
            models.UniqueConstraint(fields=["order"], condition=Q(is_current=True), name="uniq_current_order_scan"),
        ]

    def __str__(self):
        return _("Скан приказа %(order)s (версия %(version)d)") % {"order": self.order.number, "version": self.version}


class OrderAssignmentQuerySet(PartnerScopedQuerySet):
    def open_on_portal(self):
        """Lines of the re-keying dashboard: sent-to-РР orders not yet ticked entered."""
        return self.filter(rr_entered_at__isnull=True, order_type__in=Order.SENT_TO_PORTAL)


class OrderAssignment(models.Model):
    """An order assigned to one application (приказ у заявки), and whether staff have entered it
    on Работа России yet. An application has at most one enrolment and one expulsion order."""

    order = models.ForeignKey(Order, models.PROTECT, related_name="assignments", verbose_name=_("приказ"))
    application = models.ForeignKey("enrollment.Application", models.PROTECT, related_name="order_assignments",
                                    verbose_name=_("заявка"))
    # Denormalised from the order: the dashboard filters on them with one partial index.
    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="+",
                                verbose_name=_("образовательный партнёр"))
    order_type = models.CharField(_("тип приказа"), max_length=10, choices=Order.Type)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("назначил"))
    assigned_at = models.DateTimeField(_("назначен"), default=timezone.now)
    rr_entered_at = models.DateTimeField(_("внесён на РР"), null=True, blank=True)
    rr_entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("внёс на РР"))

    objects = OrderAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("приказ заявки")
        verbose_name_plural = _("приказы заявок")
        ordering = ["order", "pk"]
        indexes = [
            models.Index(fields=["partner", "order_type", "assigned_at"], name="assignment_rr_open",
                         condition=Q(rr_entered_at__isnull=True) & ~Q(order_type="extension")),
            models.Index(fields=["application"], name="assignment_application"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "application"], name="uniq_order_application"),
            models.UniqueConstraint(fields=["application", "order_type"], condition=~Q(order_type="extension"),
                                    name="uniq_application_order_type",
                                    violation_error_message=_("У заявки уже есть приказ этого типа.")),
        ]

    def __str__(self):
        return f"{self.order} — {self.application}"


class OrderEvent(EventBase):
    """An order's history: created or generated, edited, scan replaced, assigned, entered on РР."""

    subject = models.ForeignKey(Order, models.CASCADE, related_name="events", verbose_name=_("приказ"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие приказа")
        verbose_name_plural = _("история приказов")
