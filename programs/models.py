"""Programs from the Odin learning platform, their approval by the operator and the regions'
employment services, cohorts (потоки), and the money side: training contracts with add-on
agreements and cost proposals. Status values follow DESIGN §4 and reference §2.5–2.8."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.fsm import ProtectedStatusMixin
from core.models import EventBase, TimeStampedModel


class CitizenCategory(models.Model):
    """A category of citizens eligible for training (decree 291); admin-editable reference."""

    code = models.SlugField(_("код"), max_length=40, primary_key=True)
    name = models.CharField(_("название"), max_length=300)
    position = models.PositiveSmallIntegerField(_("порядок"), default=0)

    class Meta:
        verbose_name = _("категория граждан")
        verbose_name_plural = _("категории граждан")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


# Programs -------------------------------------------------------------------------------------

class ProgramQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The operator and auditors see all programs; partner staff their organisations';
        employment-service reviewers those asked for approval in their regions."""
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(
            Q(partner_id__in=access.partner_ids)
            | Q(pk__in=RegionalApproval.objects.filter(region_id__in=access.region_codes).values("program_id")))


class Program(ProtectedStatusMixin, TimeStampedModel):
    """A partner's training program (программа). The Odin part is read-only in Flow; the
    partner fills in the rest while the program is in revision."""

    class Status(models.TextChoices):
        PARTNER_REVISION = "partner_revision", _("Требует доработки образовательным партнёром")
        OPERATOR_REVIEW = "operator_review", _("Требует одобрения федеральным оператором")
        OPERATOR_REJECTED = "operator_rejected", _("Отклонена федеральным оператором")
        AWAITING_CONTRACT = "awaiting_contract", _("Ожидает договора на организацию обучения и стоимости")
        READY_TO_SEND = "ready_to_send", _("Готова к отправке")
        SENT_TO_PORTAL = "sent_to_portal", _("Отправлена на портал «Работа России»")
        PUBLISHED = "published", _("Опубликована и доступна гражданам")
        UNPUBLISHED = "unpublished", _("Снята с публикации")
        CLOSED = "closed", _("Закрыта")

    # The card is editable by the partner only in these statuses (read-only once sent).
    EDITABLE = (Status.PARTNER_REVISION, Status.OPERATOR_REJECTED)
    # While on РР, Odin changes are held as "changes waiting" (reference §2.5, sync rule).
    PORTAL_LOCKED = (Status.SENT_TO_PORTAL, Status.PUBLISHED)

    class Kind(models.TextChoices):
        DPO_PK = "dpo_pk", _("ДПО — повышение квалификации")
        DPO_PP = "dpo_pp", _("ДПО — профессиональная переподготовка")
        PO = "po", _("Профессиональное обучение")

    DOCUMENT_ISSUED = {
        Kind.DPO_PK: _("Удостоверение о повышении квалификации"),
        Kind.DPO_PP: _("Диплом о профессиональной переподготовке"),
        Kind.PO: _("Свидетельство о профессии рабочего, должности служащего"),
    }

    class StudyForm(models.TextChoices):
        FULL_TIME = "full_time", _("Очная")
        PART_TIME = "part_time", _("Очно-заочная")
        EXTRAMURAL = "extramural", _("Заочная")

    class EducationLevel(models.TextChoices):
        NONE = "none", _("Без требований к образованию")
        BASIC_GENERAL = "basic_general", _("Основное общее")
        SECONDARY_GENERAL = "secondary_general", _("Среднее общее")
        VOCATIONAL = "vocational", _("Среднее профессиональное")
        HIGHER = "higher", _("Высшее")
        VOCATIONAL_OR_HIGHER = "vocational_or_higher", _("Среднее профессиональное или высшее")

    class ImplementationForm(models.TextChoices):
        OWN = "own", _("Самостоятельная")
        NETWORK = "network", _("Сетевая (с партнёром)")

    campaign = models.ForeignKey("accounts.Campaign", models.PROTECT, related_name="programs",
                                 verbose_name=_("кампания"))
    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="programs",
                                verbose_name=_("образовательный партнёр"))
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.PARTNER_REVISION,
                      protected=True, db_index=True)

    # From Odin (read-only in Flow).
    odin_id = models.CharField(_("ID в Odin"), max_length=64, unique=True)
    is_national_project = models.BooleanField(_("программа национального проекта"), default=True)
    title = models.CharField(_("название"), max_length=500)
    short_title = models.CharField(_("краткое название"), max_length=200, blank=True)
    kind = models.CharField(_("вид программы"), max_length=10, choices=Kind, db_index=True)
    academic_hours = models.PositiveSmallIntegerField(_("академических часов"))
    distance_hours = models.PositiveSmallIntegerField(_("часов с применением ДОТ"), default=0)
    study_form = models.CharField(_("форма обучения"), max_length=12, choices=StudyForm)
    odin_education_level = models.CharField(_("минимальный уровень образования (Odin)"), max_length=25,
                                            choices=EducationLevel, blank=True)
    odin_qualification = models.CharField(_("квалификация (Odin)"), max_length=300, blank=True)

    # Filled in by the partner.
    implementation_form = models.CharField(_("форма реализации"), max_length=10, choices=ImplementationForm,
                                           default=ImplementationForm.OWN)
    network_partner_name = models.CharField(_("сетевой партнёр"), max_length=300, blank=True)
    rr_direction = models.CharField(_("направление на «Работе России»"), max_length=300, blank=True)
    rr_profession = models.CharField(_("профессия на «Работе России»"), max_length=300, blank=True)
    education_level = models.CharField(_("минимальный уровень образования"), max_length=25,
                                       choices=EducationLevel, blank=True)
    qualification_level = models.CharField(_("уровень квалификации"), max_length=200, blank=True)
    with_internship = models.BooleanField(_("со стажировкой"), default=False)
    resource_intensive = models.BooleanField(_("ресурсоёмкая"), default=False)
    citizen_categories = models.ManyToManyField(CitizenCategory, blank=True, related_name="programs",
                                                verbose_name=_("категории граждан"))
    employer_info = models.TextField(_("информация о работодателях"), blank=True)
    contact_email = models.EmailField(_("e-mail для «Работы России»"), blank=True)
    contact_phone = models.CharField(_("телефон для «Работы России»"), max_length=32, blank=True)

    # The operator's approval (the regions' decisions are RegionalApproval rows).
    operator_approved_at = models.DateTimeField(_("одобрена ФО"), null=True, blank=True)
    operator_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                             related_name="+", verbose_name=_("одобрил"))
    # Odin changes that arrived while the program was on РР: applied when it leaves РР.
    pending_odin_changes = models.JSONField(_("изменения из Odin, ожидающие применения"), default=dict, blank=True)
    pending_odin_since = models.DateTimeField(_("изменения ждут с"), null=True, blank=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("программа")
        verbose_name_plural = _("программы")
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["partner", "status"], name="program_partner_status"),
            models.Index(fields=["campaign", "status"], name="program_campaign_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(distance_hours__lte=F("academic_hours")),
                                   name="program_distance_hours_within_total"),
        ]

    def __str__(self):
        return self.short_title or self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("programs:detail", args=[self.pk])

    @property
    def document_issued(self) -> str:
        return str(self.DOCUMENT_ISSUED[self.kind])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_portal_locked(self) -> bool:
        return self.status in self.PORTAL_LOCKED

    @property
    def operator_decision_open(self) -> bool:
        """The operator may approve or reject: not yet approved, or every region it asked declined
        (otherwise the program would wait in review for ever)."""
        if self.operator_approved_at is None:
            return True
        return not self.regional_approvals.exclude(status=RegionalApproval.Status.DECLINED).exists()

    @property
    def is_mostly_distance(self) -> bool:
        """More than half the hours with distance technologies: РР adds the distance form."""
        return self.distance_hours * 2 > self.academic_hours

    # Transitions: thin; services check roles (has_transition_perm) and write events.

    @transition(field=status, source=[Status.PARTNER_REVISION, Status.OPERATOR_REJECTED],
                target=Status.OPERATOR_REVIEW, custom={"label": _("Отправить на согласование")})
    def send_for_approval(self):
        self.operator_approved_at = None
        self.operator_approved_by = None
    send_for_approval.alters_data = True

    @transition(field=status, source=Status.OPERATOR_REVIEW, target=Status.OPERATOR_REJECTED,
                conditions=[lambda p: p.operator_decision_open], custom={"label": _("Отклонить")})
    def reject(self):
        pass
    reject.alters_data = True

    @transition(field=status, source=Status.OPERATOR_REVIEW, target=Status.AWAITING_CONTRACT,
                conditions=[lambda p: p.operator_approved_at is not None],
                custom={"label": _("Согласовать в регионе")})
    def approve_in_region(self):
        pass
    approve_in_region.alters_data = True

    @transition(field=status, source=[Status.AWAITING_CONTRACT, Status.UNPUBLISHED], target=Status.READY_TO_SEND,
                custom={"label": _("Готова к отправке")})
    def make_ready(self):
        pass
    make_ready.alters_data = True

    @transition(field=status, source=[Status.READY_TO_SEND, Status.UNPUBLISHED], target=Status.SENT_TO_PORTAL,
                custom={"label": _("Отправлена на портал")})
    def mark_sent_to_portal(self):
        pass
    mark_sent_to_portal.alters_data = True

    @transition(field=status, source=Status.SENT_TO_PORTAL, target=Status.PUBLISHED,
                custom={"label": _("Опубликована")})
    def mark_published(self):
        pass
    mark_published.alters_data = True

    @transition(field=status, source=[Status.SENT_TO_PORTAL, Status.PUBLISHED], target=Status.UNPUBLISHED,
                custom={"label": _("Снята с публикации")})
    def mark_unpublished(self):
        pass
    mark_unpublished.alters_data = True

    @transition(field=status, source=[Status.READY_TO_SEND, Status.PUBLISHED, Status.UNPUBLISHED],
                target=Status.CLOSED, custom={"label": _("Закрыть")})
    def close(self):
        pass
    close.alters_data = True


class ProgramEvent(EventBase):
    """A program's history: every status change and decision with its comment and author."""

    subject = models.ForeignKey(Program, models.CASCADE, related_name="events", verbose_name=_("программа"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие программы")
        verbose_name_plural = _("история программ")


class ProgramComment(models.Model):
    """The partner ↔ operator thread about a program."""

    program = models.ForeignKey(Program, models.CASCADE, related_name="comments", verbose_name=_("программа"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("автор"))
    text = models.TextField(_("текст"), max_length=5000)
    created_at = models.DateTimeField(_("время"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("комментарий к программе")
        verbose_name_plural = _("комментарии к программам")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:60]


class RegionalApprovalQuerySet(models.QuerySet):
    def visible_to(self, user):
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(Q(region_id__in=access.region_codes) | Q(program__partner_id__in=access.partner_ids))


class RegionalApproval(ProtectedStatusMixin, models.Model):
    """An employment service's decision on a program for one region, asked for by the operator."""

    class Status(models.TextChoices):
        PENDING = "pending", _("На согласовании")
        APPROVED = "approved", _("Согласована")
        DECLINED = "declined", _("Не согласована")

    program = models.ForeignKey(Program, models.CASCADE, related_name="regional_approvals",
                                verbose_name=_("программа"))
    region = models.ForeignKey("accounts.Region", models.PROTECT, related_name="+", verbose_name=_("регион"))
    status = FSMField(_("статус"), max_length=10, choices=Status, default=Status.PENDING, protected=True)
    requested_at = models.DateTimeField(_("запрошено"), auto_now_add=True)
    decided_at = models.DateTimeField(_("решение"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("решил"))
    comment = models.TextField(_("комментарий"), blank=True)

    objects = RegionalApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("согласование в регионе")
        verbose_name_plural = _("согласования в регионах")
        ordering = ["region_id"]
        constraints = [models.UniqueConstraint(fields=["program", "region"], name="uniq_regional_approval")]
        indexes = [models.Index(fields=["region", "status"], name="regapproval_region_status")]

    def __str__(self):
        return f"{self.program} — {self.region_id}: {self.get_status_display()}"

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED, custom={"label": _("Согласовать")})
    def approve(self):
        pass
    approve.alters_data = True

    @transition(field=status, source=Status.PENDING, target=Status.DECLINED, custom={"label": _("Не согласовать")})
    def decline(self):
        pass
    decline.alters_data = True

    @transition(field=status, source=Status.DECLINED, target=Status.PENDING,
                custom={"label": _("Запросить согласование повторно")})
    def ask_again(self):
        self.decided_at = None
        self.decided_by = None
    ask_again.alters_data = True


# Cohorts --------------------------------------------------------------------------------------

class CohortQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(program__in=Program.objects.visible_to(user))


class Cohort(TimeStampedModel):
    """One dated run of a program (поток). Comes only from Odin: dates and quota are not
    editable in Flow, and a cohort is never deleted (its data are already on РР)."""

    program = models.ForeignKey(Program, models.PROTECT, related_name="cohorts", verbose_name=_("программа"))
    odin_id = models.CharField(_("ID в Odin"), max_length=64, unique=True)
    start_date = models.DateField(_("начало обучения"))
    end_date = models.DateField(_("окончание обучения"))
    # Odin's "maximum students": empty = unlimited, 0 = closed for choice.
    max_students = models.PositiveIntegerField(_("максимум слушателей"), null=True, blank=True)
    is_archived = models.BooleanField(_("в архиве"), default=False)
    # A cohort that arrived while its program was on РР waits until the program leaves РР.
    is_held = models.BooleanField(_("ожидает снятия программы с публикации"), default=False)

    objects = CohortQuerySet.as_manager()

    class Meta:
        verbose_name = _("поток")
        verbose_name_plural = _("потоки")
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["program", "start_date"], name="cohort_program_start")]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="cohort_dates_ordered")]

    def __str__(self):
        return f"{self.program} — {self.start_date:%d.%m.%Y}–{self.end_date:%d.%m.%Y}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("programs:cohort_detail", args=[self.pk])


class CohortEvent(EventBase):
    """A cohort's history (changes from Odin, holds)."""

    subject = models.ForeignKey(Cohort, models.CASCADE, related_name="events", verbose_name=_("поток"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие потока")
        verbose_name_plural = _("история потоков")


# Training contracts ---------------------------------------------------------------------------

class PartnerScopedQuerySet(models.QuerySet):
    """A partner's papers (contracts, orders, cohort reports…): the operator and auditors see all,
    partner staff their own organisation's."""

    partner_path = "partner_id"

    def visible_to(self, user):
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(**{f"{self.partner_path}__in": access.partner_ids})


class TrainingContractQuerySet(PartnerScopedQuerySet):
    def visible_to(self, user):
        # A partner sees its contract only once the operator has signed it (reference §2.6).
        visible = super().visible_to(user)
        if user.access.sees_all_partners:
            return visible
        return visible.exclude(status=TrainingContract.Status.GENERATED)


class TrainingContract(ProtectedStatusMixin, TimeStampedModel):
    """Operator ↔ partner framework contract (договор на организацию обучения) with a quota in
    money and in seats; applications reserve from it."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("Сгенерирован")
        SIGNED_BY_OPERATOR = "signed_by_operator", _("Подписан федеральным оператором")
        SIGNED_BY_BOTH = "signed_by_both", _("Подписан двумя сторонами")
        REGISTERED = "registered", _("Зарегистрирован на Госзакупках")

    campaign = models.ForeignKey("accounts.Campaign", models.PROTECT, related_name="training_contracts",
                                 verbose_name=_("кампания"))
    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="training_contracts",
                                verbose_name=_("образовательный партнёр"))
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.GENERATED, protected=True,
                      db_index=True)
    number = models.CharField(_("номер"), max_length=60)
    contract_date = models.DateField(_("дата договора"))
    valid_until = models.DateField(_("действует до"))
    quota_money = models.DecimalField(_("квота, ₽"), max_digits=14, decimal_places=2)
    quota_seats = models.PositiveIntegerField(_("квота, мест"))
    reserved_money = models.DecimalField(_("зарезервировано, ₽"), max_digits=14, decimal_places=2,
                                         default=Decimal("0"))
    reserved_seats = models.PositiveIntegerField(_("зарезервировано мест"), default=0)
    programs = models.ManyToManyField(Program, related_name="training_contracts", blank=True,
                                      verbose_name=_("программы"))
    operator_signatory = models.ForeignKey("accounts.Signatory", models.PROTECT, null=True, blank=True,
                                           related_name="+", verbose_name=_("подписант ФО"))
    partner_signatory = models.ForeignKey("accounts.Signatory", models.PROTECT, null=True, blank=True,
                                          related_name="+", verbose_name=_("подписант ОП"))
    document = models.OneToOneField("documents.GeneratedDocument", models.PROTECT, null=True, blank=True,
                                    related_name="training_contract", verbose_name=_("документ"))
    registration_number = models.CharField(_("реестровый номер на Госзакупках"), max_length=60, blank=True)
    registration_date = models.DateField(_("дата регистрации"), null=True, blank=True)

    objects = TrainingContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("договор на организацию обучения")
        verbose_name_plural = _("договоры на организацию обучения")
        ordering = ["-contract_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="uniq_contract_number"),
            # The database itself guarantees that concurrent reservations never overdraw the quota.
            models.CheckConstraint(condition=Q(reserved_money__gte=0) & Q(reserved_money__lte=F("quota_money")),
                                   name="contract_money_within_quota"),
            models.CheckConstraint(condition=Q(reserved_seats__lte=F("quota_seats")),
                                   name="contract_seats_within_quota"),
        ]

    def __str__(self):
        return _("Договор № %(number)s от %(date)s") % {"number": self.number,
                                                          "date": self.contract_date.strftime("%d.%m.%Y")}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("programs:contract_detail", args=[self.pk])

    @property
    def remaining_money(self) -> Decimal:
        return self.quota_money - self.reserved_money

    @property
    def remaining_seats(self) -> int:
        return self.quota_seats - self.reserved_seats

    @transition(field=status, source=Status.GENERATED, target=Status.SIGNED_BY_OPERATOR,
                custom={"label": _("Подписать (ФО)")})
    def sign_by_operator(self):
        pass
    sign_by_operator.alters_data = True

    @transition(field=status, source=Status.SIGNED_BY_OPERATOR, target=Status.SIGNED_BY_BOTH,
                custom={"label": _("Подписать (ОП)")})
    def sign_by_partner(self):
        pass
    sign_by_partner.alters_data = True

    @transition(field=status, source=Status.SIGNED_BY_BOTH, target=Status.REGISTERED,
                custom={"label": _("Зарегистрировать")})
    def register(self, number: str, date):
        self.registration_number = number
        self.registration_date = date
    register.alters_data = True


class TrainingContractEvent(EventBase):
    subject = models.ForeignKey(TrainingContract, models.CASCADE, related_name="events",
                                verbose_name=_("договор"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие договора")
        verbose_name_plural = _("история договоров")


class AddOnAgreementQuerySet(PartnerScopedQuerySet):
    partner_path = "contract__partner_id"

    def visible_to(self, user):
        visible = super().visible_to(user)
        if user.access.sees_all_partners:
            return visible
        return visible.exclude(status__in=[AddOnAgreement.Status.READY_TO_GENERATE, AddOnAgreement.Status.GENERATED])


class AddOnAgreement(ProtectedStatusMixin, TimeStampedModel):
    """Adds programs approved after the contract while its quota is not used up (reference §2.7)."""

    class Status(models.TextChoices):
        READY_TO_GENERATE = "ready_to_generate", _("Готово к генерации")
        GENERATED = "generated", _("Сгенерировано")
        SIGNED_BY_OPERATOR = "signed_by_operator", _("Подписано федеральным оператором")
        DATE_REQUIRED = "date_required", _("Необходимо ввести дату доп. соглашения")
        SIGNED_BY_BOTH = "signed_by_both", _("Подписано двумя сторонами")

    contract = models.ForeignKey(TrainingContract, models.PROTECT, related_name="addons", verbose_name=_("договор"))
    number = models.PositiveSmallIntegerField(_("номер"))
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.READY_TO_GENERATE,
                      protected=True)
    programs = models.ManyToManyField(Program, related_name="addon_agreements", verbose_name=_("программы"))
    signed_on = models.DateField(_("дата подписания"), null=True, blank=True)
    document = models.OneToOneField("documents.GeneratedDocument", models.PROTECT, null=True, blank=True,
                                    related_name="addon_agreement", verbose_name=_("документ"))

    objects = AddOnAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("дополнительное соглашение")
        verbose_name_plural = _("дополнительные соглашения")
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="uniq_addon_number")]

    def __str__(self):
        return _("Дополнительное соглашение № %(number)s к договору № %(contract)s") % {
            "number": self.number, "contract": self.contract.number}

    @transition(field=status, source=Status.READY_TO_GENERATE, target=Status.GENERATED,
                custom={"label": _("Сгенерировать")})
    def generate(self):
        pass
    generate.alters_data = True

    @transition(field=status, source=Status.GENERATED, target=Status.SIGNED_BY_OPERATOR,
                custom={"label": _("Подписать (ФО)")})
    def sign_by_operator(self):
        pass
    sign_by_operator.alters_data = True

    @transition(field=status, source=Status.SIGNED_BY_OPERATOR, target=Status.DATE_REQUIRED,
                custom={"label": _("Подписать (ОП)")})
    def sign_by_partner(self):
        pass
    sign_by_partner.alters_data = True

    @transition(field=status, source=Status.DATE_REQUIRED, target=Status.SIGNED_BY_BOTH,
                custom={"label": _("Ввести дату подписания")})
    def set_signed_on(self, signed_on):
        self.signed_on = signed_on
    set_signed_on.alters_data = True


class AddOnAgreementEvent(EventBase):
    subject = models.ForeignKey(AddOnAgreement, models.CASCADE, related_name="events",
                                verbose_name=_("дополнительное соглашение"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие дополнительного соглашения")
        verbose_name_plural = _("история дополнительных соглашений")


# Cost proposals -------------------------------------------------------------------------------

class CostProposalQuerySet(PartnerScopedQuerySet):
    partner_path = "program__partner_id"


class CostProposal(ProtectedStatusMixin, TimeStampedModel):
    """The partner's price per citizen for a program under a registered contract (reference §6.2)."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("Сгенерировано")
        SIGNED_BY_PARTNER = "signed_by_partner", _("Подписано образовательным партнёром")
        APPROVED = "approved", _("Согласовано")
        REJECTED = "rejected", _("Отклонено")

    program = models.ForeignKey(Program, models.PROTECT, related_name="cost_proposals", verbose_name=_("программа"))
    contract = models.ForeignKey(TrainingContract, models.PROTECT, related_name="cost_proposals",
                                 verbose_name=_("договор"))
    status = FSMField(_("статус"), max_length=20, choices=Status, default=Status.GENERATED, protected=True,
                      db_index=True)
    valid_from = models.DateField(_("действует с"))
    price = models.DecimalField(_("стоимость обучения одного человека, ₽"), max_digits=12, decimal_places=2)
    need_justification = models.TextField(_("обоснование потребности"))
    # Three analogous programs of other organisations: [{"title", "organization", "url", "price"}, …].
    analogues = models.JSONField(_("аналогичные программы"), default=list, blank=True)
    uniqueness_justification = models.TextField(_("обоснование уникальности"), blank=True)
    calculation_file = models.FileField(_("расчёт стоимости (PDF)"), upload_to="cost-calculations/%Y/%m/")
    document = models.ForeignKey("documents.GeneratedDocument", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("документ"))
    operator_comment = models.TextField(_("комментарий ФО"), blank=True)

    objects = CostProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("предложение о стоимости")
        verbose_name_plural = _("предложения о стоимости")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="cost_proposal_price_positive"),
            # At most one approved proposal per program and contract.
            models.UniqueConstraint(fields=["program", "contract"], condition=Q(status="approved"),
                                    name="uniq_approved_cost_proposal"),
        ]

    def __str__(self):
        return _("Предложение о стоимости: %(program)s") % {"program": self.program}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("programs:cost_proposal_detail", args=[self.pk])

    @transition(field=status, source=Status.GENERATED, target=Status.SIGNED_BY_PARTNER,
                custom={"label": _("Подписать")})
    def sign(self):
        pass
    sign.alters_data = True

    @transition(field=status, source=Status.SIGNED_BY_PARTNER, target=Status.APPROVED,
                custom={"label": _("Согласовать")})
    def approve(self):
        self.operator_comment = ""
    approve.alters_data = True

    @transition(field=status, source=Status.SIGNED_BY_PARTNER, target=Status.REJECTED,
                custom={"label": _("Отклонить")})
    def reject(self, reason: str):
        self.operator_comment = reason
    reject.alters_data = True

    @transition(field=status, source=Status.REJECTED, target=Status.GENERATED,
                custom={"label": _("Исправить и сформировать заново")})
    def regenerate(self):
        pass
    regenerate.alters_data = True


class CostProposalEvent(EventBase):
    subject = models.ForeignKey(CostProposal, models.CASCADE, related_name="events",
                                verbose_name=_("предложение о стоимости"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие предложения о стоимости")
        verbose_name_plural = _("история предложений о стоимости")
