"""The spine of Flow: citizens, their applications (заявки) from Работа России, the documents
they upload and the partner checks, withdrawal requests and qualification documents.
Statuses and transitions follow DESIGN §4 and reference §2.1–§2.4."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.fsm import ProtectedStatusMixin
from core.models import EventBase, TimeStampedModel
from privacy.consent import blocked_subject_ids


class CitizenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A citizen sees themself; staff see the citizens of the applications they may see."""
        access = user.access
        if access.sees_all_partners:
            return self
        if access.is_citizen:
            return self.filter(user=user)
        return self.filter(pk__in=Application.objects.visible_to(user).values("citizen_id"))


class Citizen(TimeStampedModel):
    """A person who applied on Работа России; found by SNILS, then by e-mail."""

    class WorkStatus(models.TextChoices):
        NONE = "none", _("Отсутствует")
        EMPLOYED = "employed", _("Трудоустроен по трудовому договору")

    class EducationLevel(models.TextChoices):
        BASIC_GENERAL = "basic_general", _("Основное общее")
        SECONDARY_GENERAL = "secondary_general", _("Среднее общее")
        VOCATIONAL = "vocational", _("Среднее профессиональное")
        HIGHER = "higher", _("Высшее")

    class DataSource(models.TextChoices):
        RABOTA_ROSSII = "rabota_rossii", _("Работа России")

    class DataBasis(models.TextChoices):
        # The citizen filed the application on the portal, which passes it to the operator of the
        # measure: Flow receives the data from another operator, not from the citizen (152-FZ
        # art. 18 p.3 asks for the source and the basis). Flow's own consents come later, in the cabinet.
        RR_APPLICATION = "rr_application", _(
            "Заявка гражданина на портале «Работа России» на участие в мероприятии по обучению, переданная "
            "оператору мероприятия (152-ФЗ, ст. 6 ч. 1)")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.PROTECT, related_name="citizen",
                                verbose_name=_("учётная запись"))
    last_name = models.CharField(_("фамилия"), max_length=150)
    first_name = models.CharField(_("имя"), max_length=150)
    middle_name = models.CharField(_("отчество"), max_length=150, blank=True)
    full_name_dative = models.CharField(_("ФИО в дательном падеже"), max_length=300, blank=True)
    birth_date = models.DateField(_("дата рождения"))
    snils = models.CharField(_("СНИЛС"), max_length=11, unique=True)
    inn = models.CharField(_("ИНН"), max_length=12, blank=True)
    email = models.EmailField(_("e-mail"), db_index=True)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    extra_phone = models.CharField(_("дополнительный телефон"), max_length=32, blank=True)
    region = models.ForeignKey("accounts.Region", models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("регион"))
    registration_address = models.CharField(_("адрес регистрации"), max_length=500, blank=True)
    actual_address = models.CharField(_("фактический адрес"), max_length=500, blank=True)
    postal_address = models.CharField(_("почтовый адрес"), max_length=500, blank=True)
    passport_series = models.CharField(_("серия паспорта"), max_length=4, blank=True)
    passport_number = models.CharField(_("номер паспорта"), max_length=6, blank=True)
    passport_issued_by = models.CharField(_("кем выдан"), max_length=300, blank=True)
    passport_department_code = models.CharField(_("код подразделения"), max_length=7, blank=True)
    passport_issued_on = models.DateField(_("дата выдачи"), null=True, blank=True)
    education_level = models.CharField(_("уровень образования"), max_length=25, blank=True,
                                       choices=EducationLevel)
    education_document = models.CharField(_("документ об образовании (серия, номер, дата)"), max_length=300,
                                          blank=True)
    education_institution = models.CharField(_("образовательная организация"), max_length=500, blank=True)
    work_status = models.CharField(_("сведения о трудовой деятельности"), max_length=10, choices=WorkStatus,
                                   blank=True)
    vk_url = models.URLField(_("профиль ВКонтакте"), blank=True)
    notifications_enabled_at = models.DateTimeField(_("уведомления включены"), null=True, blank=True)
    # Provenance of an imported citizen (IMP-09, 152-FZ art. 18 p.3); blank for citizens entered
    # otherwise (demo data, tests) and for those imported before these fields existed.
    source = models.CharField(_("источник сведений"), max_length=20, choices=DataSource, blank=True)
    basis = models.CharField(_("правовое основание получения сведений"), max_length=20, choices=DataBasis,
                             blank=True)
    received_at = models.DateTimeField(_("сведения получены"), null=True, blank=True)

    objects = CitizenQuerySet.as_manager()

    class Meta:
        verbose_name = _("гражданин")
        verbose_name_plural = _("граждане")
        ordering = ["last_name", "first_name", "pk"]
        # lower(email): the РР feed's look-up of a batch's citizens by e-mail in any case.
        indexes = [models.Index(fields=["last_name", "first_name"], name="citizen_name"),
                   models.Index(Lower("email"), name="citizen_email_ci")]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Citizens see their own; partner staff their organisation's; employment-service
        reviewers their regions'; the operator and auditors all (DESIGN §2)."""
        access = user.access
        if access.sees_all_partners:
            return self
        scope = Q(partner_id__in=access.partner_ids) | Q(region_id__in=access.region_codes)
        if access.partner_ids or access.region_codes:
            # A citizen who withdrew consent is blocked at once: partners and employment services no
            # longer see them, in lists, pages or exports (PDN-02). One NOT IN over a unique index.
            scope &= ~Q(citizen_id__in=blocked_subject_ids())
        if access.is_citizen:
            scope |= Q(citizen__user_id=user.pk)
        return self.filter(scope)


class Application(ProtectedStatusMixin, TimeStampedModel):
    """One citizen's application to one program, imported from Работа России."""

    class Status(models.TextChoices):
        PRIMARY_DOCS_REQUIRED = "primary_docs_required", _("Требуется загрузить первичные документы")
        PRIMARY_DOCS_REVIEW = "primary_docs_review", _("Требуется проверить первичные документы")
        PRIMARY_DOCS_REJECTED = "primary_docs_rejected", _("Отклонены первичные документы")
        ENROLMENT_DOCS_REQUIRED = "enrolment_docs_required", _("Требуется загрузить документы на зачисление")
        ENROLMENT_DOCS_REVIEW = "enrolment_docs_review", _("Требуется проверить документы на зачисление")
        ENROLMENT_DOCS_REJECTED = "enrolment_docs_rejected", _("Отклонены документы на зачисление")
        AWAITING_AGREEMENT = "awaiting_agreement", _("Ожидаем подписания договора о намерениях")
        ENROLMENT_ORDER_REQUIRED = "enrolment_order_required", _("Требуется выпустить приказ на зачисление")
        STUDYING = "studying", _("Обучение")
        WITHDRAWAL_REVIEW = "withdrawal_review", _("Требуется проверить заявление на отчисление")
        OWN_REQUEST_ORDER_REQUIRED = "own_request_order_required", _(
            "Требуется загрузить приказ на отчисление на основании заявления")
        FAILURE_ORDER_REQUIRED = "failure_order_required", _(
            "Требуется загрузить приказ на отчисление за неуспеваемость")
        COMPLETION_ORDER_REQUIRED = "completion_order_required", _(
            "Требуется загрузить приказ на отчисление в связи с успешным завершением обучения")
        EXPELLED = "expelled", _("Отчислен")
        QUALIFICATION_DOC_REQUIRED = "qualification_doc_required", _("Требуется выпустить документ о квалификации")
        QUALIFICATION_SCAN_REQUIRED = "qualification_scan_required", _(
            "Требуется загрузить скан документа о квалификации")
        AWAITING_EMPLOYMENT = "awaiting_employment", _("Ожидаем трудоустройства с РР")
        EMPLOYED = "employed", _("Трудоустроен — услуга оказана")
        SERVICE_TERMINATED = "service_terminated", _("Услуга прекращена")

    FINAL = (Status.EXPELLED, Status.SERVICE_TERMINATED, Status.EMPLOYED)
    PRE_FINAL = sorted(set(Status.values) - set(FINAL))

    class Result(models.TextChoices):
        SUCCESSFUL = "successful", _("Успешно")
        UNSUCCESSFUL = "unsuccessful", _("Неуспешно")

    class ExpulsionReason(models.TextChoices):
        OWN_REQUEST = "own_request", _("По заявлению слушателя")
        FAILURE = "failure", _("За неуспеваемость")

    rr_number = models.CharField(_("номер заявки на РР"), max_length=40, unique=True)
    citizen = models.ForeignKey(Citizen, models.PROTECT, related_name="applications", verbose_name=_("гражданин"))
    program = models.ForeignKey("programs.Program", models.PROTECT, related_name="applications",
                                verbose_name=_("программа"))
    # Denormalised from the program: every partner list filters on it (an index per filter).
    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="applications",
                                verbose_name=_("образовательный партнёр"))
    cohort = models.ForeignKey("programs.Cohort", models.PROTECT, null=True, blank=True, related_name="applications",
                               verbose_name=_("поток"))
    category = models.ForeignKey("programs.CitizenCategory", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("категория"))
    region = models.ForeignKey("accounts.Region", models.PROTECT, related_name="+", verbose_name=_("регион"))
    submitted_at = models.DateTimeField(_("подана на РР"))
    # The moment of the version of the application on РР that Flow holds (the feed's `changed_at`, or
    # `submitted_at` when the file has none): an older version delivered later is ignored (R6).
    rr_changed_at = models.DateTimeField(_("изменено на РР"), null=True, blank=True)
    # The fingerprint (core.imports Row.digest) of the РР row applied last: the same row in a later file
    # is recognised by it and not parsed again. Only the feed changes what a row sets (program, cohort,
    # category, region; the citizen's SNILS): code that changes any of them elsewhere must clear it.
    rr_digest = models.BigIntegerField(_("отпечаток строки РР"), null=True, blank=True, editable=False)
    status = FSMField(_("статус"), max_length=30, choices=Status, default=Status.PRIMARY_DOCS_REQUIRED,
                      protected=True)
    is_active = models.BooleanField(_("активная"), default=True,
                                    help_text=_("Новейшая заявка гражданина активна, более ранние — нет."))
    # Quota reserved on the training contract when the enrolment blanks are generated (reference §6.1).
    contract = models.ForeignKey("programs.TrainingContract", models.PROTECT, null=True, blank=True,
                                 related_name="applications", verbose_name=_("договор"))
    reserved_amount = models.DecimalField(_("зарезервировано, ₽"), max_digits=12, decimal_places=2,
                                          null=True, blank=True)
    agreement_signed_at = models.DateTimeField(_("договор о намерениях подписан"), null=True, blank=True)
    result = models.CharField(_("результат обучения (Odin)"), max_length=12, choices=Result, blank=True)
    result_date = models.DateField(_("дата результата"), null=True, blank=True)
    # Set by the expulsion order (reference §2.1.1 row 16): the citizen's cabinet shows it.
    expulsion_reason = models.CharField(_("причина отчисления"), max_length=12, choices=ExpulsionReason, blank=True)
    expelled_on = models.DateField(_("дата отчисления"), null=True, blank=True)
    employed_at = models.DateTimeField(_("трудоустроен (РР)"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("услуга прекращена (РР)"), null=True, blank=True)
    termination_reason = models.TextField(_("причина прекращения"), blank=True)
    originals_track_number = models.CharField(_("трек-номер оригиналов"), max_length=40, blank=True)
    originals_sent_on = models.DateField(_("оригиналы отправлены"), null=True, blank=True)
    originals_comment = models.TextField(_("комментарий к отправке"), blank=True)
    first_login_at = models.DateTimeField(_("первый вход"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("последний вход"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("заявка")
        verbose_name_plural = _("заявки")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "status", "-submitted_at"], name="app_partner_status"),
            models.Index(fields=["partner", "-submitted_at"], name="app_partner_submitted"),
            models.Index(fields=["cohort", "status"], name="app_cohort_status"),
            models.Index(fields=["program", "status"], name="app_program_status"),
            models.Index(fields=["region", "status"], name="app_region_status"),
            models.Index(fields=["status", "-submitted_at"], name="app_status_submitted"),
            models.Index(fields=["citizen", "-submitted_at"], name="app_citizen_submitted"),
            models.Index(fields=["rr_digest"], condition=Q(rr_digest__isnull=False), name="app_rr_digest"),
        ]
        constraints = [
            # A citizen has at most one active application.
            models.UniqueConstraint(fields=["citizen"], condition=Q(is_active=True), name="uniq_active_application"),
        ]

    def __str__(self):
        return self.rr_number

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("enrollment:application_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    # Documents (transitions 2–9 of reference §2.1.1). Services recompute from document checks.

    @transition(field=status, source=[Status.PRIMARY_DOCS_REQUIRED, Status.PRIMARY_DOCS_REJECTED],
                target=Status.PRIMARY_DOCS_REVIEW, custom={"label": _("Отправить первичные документы")})
    def submit_primary_docs(self):
        pass
    submit_primary_docs.alters_data = True

    @transition(field=status, source=Status.PRIMARY_DOCS_REVIEW, target=Status.PRIMARY_DOCS_REJECTED,
                custom={"label": _("Отклонить первичные документы")})
    def reject_primary_docs(self):
        pass
    reject_primary_docs.alters_data = True

    @transition(field=status, source=Status.PRIMARY_DOCS_REVIEW, target=Status.ENROLMENT_DOCS_REQUIRED,
                custom={"label": _("Одобрить первичные документы")})
    def approve_primary_docs(self):
        pass
    approve_primary_docs.alters_data = True

    @transition(field=status, source=[Status.ENROLMENT_DOCS_REQUIRED, Status.ENROLMENT_DOCS_REJECTED],
                target=Status.ENROLMENT_DOCS_REVIEW, custom={"label": _("Отправить документы на зачисление")})
    def submit_enrolment_docs(self):
        pass
    submit_enrolment_docs.alters_data = True

    @transition(field=status, source=Status.ENROLMENT_DOCS_REVIEW, target=Status.ENROLMENT_DOCS_REJECTED,
                custom={"label": _("Отклонить документы на зачисление")})
    def reject_enrolment_docs(self):
        pass
    reject_enrolment_docs.alters_data = True

    @transition(field=status, source=Status.ENROLMENT_DOCS_REVIEW, target=Status.AWAITING_AGREEMENT,
                conditions=[lambda a: a.agreement_signed_at is None],
                custom={"label": _("Одобрить документы на зачисление")})
    def approve_enrolment_docs(self):
        pass
    approve_enrolment_docs.alters_data = True

    @transition(field=status, source=Status.ENROLMENT_DOCS_REVIEW, target=Status.ENROLMENT_ORDER_REQUIRED,
                conditions=[lambda a: a.agreement_signed_at is not None],
                custom={"label": _("Одобрить документы на зачисление")})
    def approve_enrolment_docs_signed(self):
        pass
    approve_enrolment_docs_signed.alters_data = True

    @transition(field=status, source=Status.AWAITING_AGREEMENT, target=Status.ENROLMENT_ORDER_REQUIRED,
                custom={"label": _("Договор о намерениях подписан")})
    def sign_agreement(self):
        pass
    sign_agreement.alters_data = True

    # Training (10–15): orders and the learning platform's results.

    @transition(field=status, source=Status.ENROLMENT_ORDER_REQUIRED, target=Status.STUDYING,
                custom={"label": _("Зачислить")})
    def enrol(self):
        pass
    enrol.alters_data = True

    @transition(field=status, source=Status.STUDYING, target=Status.WITHDRAWAL_REVIEW,
                custom={"label": _("Подать заявление на отчисление")})
    def request_withdrawal(self):
        pass
    request_withdrawal.alters_data = True

    @transition(field=status, source=Status.WITHDRAWAL_REVIEW, target=Status.OWN_REQUEST_ORDER_REQUIRED,
                custom={"label": _("Одобрить заявление на отчисление")})
    def approve_withdrawal(self):
        pass
    approve_withdrawal.alters_data = True

    @transition(field=status, source=[Status.WITHDRAWAL_REVIEW, Status.OWN_REQUEST_ORDER_REQUIRED],
                target=Status.STUDYING, custom={"label": _("Отклонить заявление на отчисление")})
    def reject_withdrawal(self):
        pass
    reject_withdrawal.alters_data = True

    @transition(field=status, source=Status.STUDYING, target=Status.FAILURE_ORDER_REQUIRED,
                custom={"label": _("Неуспешное завершение")})
    def record_failure(self):
        self.result = self.Result.UNSUCCESSFUL
    record_failure.alters_data = True

    @transition(field=status, source=Status.STUDYING, target=Status.COMPLETION_ORDER_REQUIRED,
                custom={"label": _("Успешное завершение")})
    def record_completion(self):
        self.result = self.Result.SUCCESSFUL
    record_completion.alters_data = True

    # Leaving (16–20).

    @transition(field=status, source=[Status.OWN_REQUEST_ORDER_REQUIRED, Status.FAILURE_ORDER_REQUIRED],
                target=Status.EXPELLED, custom={"label": _("Отчислить")})
    def expel(self, reason: str, on):
        self.expulsion_reason = reason
        self.expelled_on = on
        self.is_active = False
    expel.alters_data = True

    @transition(field=status, source=Status.COMPLETION_ORDER_REQUIRED, target=Status.QUALIFICATION_DOC_REQUIRED,
                custom={"label": _("Отчислить с выдачей документа о квалификации")})
    def complete(self, on):
        self.expelled_on = on
    complete.alters_data = True

    @transition(field=status, source=Status.QUALIFICATION_DOC_REQUIRED, target=Status.QUALIFICATION_SCAN_REQUIRED,
                custom={"label": _("Внести данные документа о квалификации")})
    def enter_qualification_data(self):
        pass
    enter_qualification_data.alters_data = True

    @transition(field=status, source=[Status.QUALIFICATION_DOC_REQUIRED, Status.QUALIFICATION_SCAN_REQUIRED],
                target=Status.AWAITING_EMPLOYMENT, custom={"label": _("Загрузить скан документа о квалификации")})
    def enter_qualification_scan(self):
        pass
    enter_qualification_scan.alters_data = True

    @transition(field=status, source=Status.AWAITING_EMPLOYMENT, target=Status.EMPLOYED,
                custom={"label": _("Трудоустроен")})
    def employ(self, when):
        self.employed_at = when
    employ.alters_data = True

    @transition(field=status, source=PRE_FINAL, target=Status.SERVICE_TERMINATED,
                custom={"label": _("Услуга прекращена")})
    def terminate_service(self, when, reason: str):
        self.terminated_at = when
        self.termination_reason = reason
        self.is_active = False
    terminate_service.alters_data = True


class ApplicationEvent(EventBase):
    """An application's history: every transition, check, upload and comment with its author."""

    subject = models.ForeignKey(Application, models.CASCADE, related_name="events", verbose_name=_("заявка"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие заявки")
        verbose_name_plural = _("история заявок")


class ApplicationDocument(ProtectedStatusMixin, models.Model):
    """One version of one uploaded scan. A replacement is a new version: the old one is kept."""

    class Kind(models.TextChoices):
        PASSPORT_MAIN = "passport_main", _("Паспорт: основная страница")
        PASSPORT_REGISTRATION = "passport_registration", _("Паспорт: страница с регистрацией")
        EDUCATION = "education", _("Документ об образовании")
        EDUCATION_TRANSLATION = "education_translation", _("Перевод документа об образовании")
        SURNAME_CHANGE = "surname_change", _("Документ о смене фамилии")
        LABOUR_RECORD = "labour_record", _("Сведения о трудовой деятельности")
        PHOTO = "photo", _("Фотография")
        ENROLMENT_CONTRACT = "enrolment_contract", _("Договор об образовании")
        PERSONAL_DATA_CONSENT = "personal_data_consent", _("Согласие на обработку персональных данных")
        ENROLMENT_APPLICATION = "enrolment_application", _("Заявление о зачислении")
        ALL_PARTY_CONTRACT = "all_party_contract", _("Договор, подписанный всеми сторонами")
        EMPLOYMENT_PROOF = "employment_proof", _("Документ о трудоустройстве")
        ADDITIONAL = "additional", _("Дополнительный документ")

    PRIMARY = (Kind.PASSPORT_MAIN, Kind.PASSPORT_REGISTRATION, Kind.EDUCATION)
    PRIMARY_OPTIONAL = (Kind.EDUCATION_TRANSLATION, Kind.SURNAME_CHANGE, Kind.LABOUR_RECORD, Kind.PHOTO)
    ENROLMENT = (Kind.ENROLMENT_CONTRACT, Kind.PERSONAL_DATA_CONSENT, Kind.ENROLMENT_APPLICATION)

    class Status(models.TextChoices):
        NEW = "new", _("Новый")
        APPROVED = "approved", _("Подтверждён")
        REJECTED = "rejected", _("Отклонён")
        OVERDUE = "overdue", _("Просрочен")

    application = models.ForeignKey(Application, models.CASCADE, related_name="documents",
                                    verbose_name=_("заявка"))
    kind = models.CharField(_("вид"), max_length=30, choices=Kind)
    version = models.PositiveSmallIntegerField(_("версия"), default=1)
    is_current = models.BooleanField(_("текущая версия"), default=True)
    file = models.FileField(_("файл"), upload_to="applications/%Y/%m/")
    content_type = models.CharField(_("тип содержимого"), max_length=60)
    size = models.PositiveIntegerField(_("размер, байт"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = FSMField(_("статус"), max_length=10, choices=Status, default=Status.NEW, protected=True)
    comment = models.TextField(_("комментарий проверяющего"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("загрузил"))
    uploaded_at = models.DateTimeField(_("загружен"), default=timezone.now)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("проверил"))
    checked_at = models.DateTimeField(_("проверен"), null=True, blank=True)

    class Meta:
        verbose_name = _("документ заявки")
        verbose_name_plural = _("документы заявок")
        ordering = ["application", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "version"], name="uniq_document_version"),
            models.UniqueConstraint(fields=["application", "kind"], condition=Q(is_current=True),
                                    name="uniq_current_document"),
        ]
        indexes = [models.Index(fields=["status", "uploaded_at"], name="appdoc_status_uploaded")]

    def __str__(self):
        return f"{self.get_kind_display()} (v{self.version})"

    @transition(field=status, source=[Status.NEW, Status.OVERDUE], target=Status.APPROVED,
                custom={"label": _("Подтвердить")})
    def approve(self):
        self.comment = ""
    approve.alters_data = True

    @transition(field=status, source=[Status.NEW, Status.OVERDUE], target=Status.REJECTED,
                custom={"label": _("Отклонить")})
    def reject(self, reason: str):
        self.comment = reason
    reject.alters_data = True

    @transition(field=status, source=Status.NEW, target=Status.OVERDUE, custom={"label": _("Просрочен")})
    def mark_overdue(self):
        pass
    mark_overdue.alters_data = True


class ApplicationBlank(models.Model):
    """A generated enrolment blank (contract, consent, application) for the citizen to sign."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="blanks", verbose_name=_("заявка"))
    kind = models.CharField(_("вид"), max_length=30, choices=[(k, ApplicationDocument.Kind(k).label)
                                                               for k in ApplicationDocument.ENROLMENT])
    document = models.OneToOneField("documents.GeneratedDocument", models.PROTECT, related_name="+",
                                    verbose_name=_("документ"))

    class Meta:
        verbose_name = _("бланк на зачисление")
        verbose_name_plural = _("бланки на зачисление")
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="uniq_blank_kind")]

    def __str__(self):
        return f"{self.application}: {self.get_kind_display()}"


class WithdrawalRequest(ProtectedStatusMixin, TimeStampedModel):
    """A citizen's own-wish withdrawal request (reference §2.4): only after enrolment, no later
    than 3 working days before the end; an approved one may still be rejected until an
    expulsion order is attached."""

    class Status(models.TextChoices):
        REVIEW = "review", _("На проверке")
        APPROVED = "approved", _("Одобрено")
        REJECTED = "rejected", _("Отклонено")

    application = models.ForeignKey(Application, models.CASCADE, related_name="withdrawal_requests",
                                    verbose_name=_("заявка"))
    status = FSMField(_("статус"), max_length=10, choices=Status, default=Status.REVIEW, protected=True)
    file = models.FileField(_("скан заявления"), upload_to="withdrawals/%Y/%m/")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                 verbose_name=_("подал"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("решил"))
    decided_at = models.DateTimeField(_("решение"), null=True, blank=True)
    comment = models.TextField(_("комментарий"), blank=True)
    has_expulsion_order = models.BooleanField(_("приказ об отчислении выпущен"), default=False)

    class Meta:
        verbose_name = _("заявление на отчисление")
        verbose_name_plural = _("заявления на отчисление")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["application"], condition=Q(status="review"),
                                               name="uniq_open_withdrawal_request")]

    def __str__(self):
        return _("Заявление на отчисление по заявке %(number)s") % {"number": self.application.rr_number}

    @transition(field=status, source=Status.REVIEW, target=Status.APPROVED, custom={"label": _("Одобрить")})
    def approve(self):
        pass
    approve.alters_data = True

    @transition(field=status, source=[Status.REVIEW, Status.APPROVED], target=Status.REJECTED,
                conditions=[lambda w: not w.has_expulsion_order], custom={"label": _("Отклонить")})
    def reject(self, reason: str):
        self.comment = reason
    reject.alters_data = True


class QualificationDocument(TimeStampedModel):
    """The certificate or diploma issued at the end: its data and scan (reference §8)."""

    application = models.OneToOneField(Application, models.PROTECT, related_name="qualification_document",
                                       verbose_name=_("заявка"))
    series = models.CharField(_("серия"), max_length=20, blank=True)
    number = models.CharField(_("номер"), max_length=40)
    registration_number = models.CharField(_("регистрационный номер"), max_length=40)
    issued_on = models.DateField(_("дата выдачи"))
    scan = models.FileField(_("скан"), upload_to="qualifications/%Y/%m/", blank=True)
    track_number = models.CharField(_("трек-номер отправки оригинала"), max_length=40, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("внёс"))
    # The series and number are re-keyed on Работа России by partner staff (reference §4.5).
    rr_entered_at = models.DateTimeField(_("внесён на РР"), null=True, blank=True)
    rr_entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("внёс на РР"))

    class Meta:
        verbose_name = _("документ о квалификации")
        verbose_name_plural = _("документы о квалификации")
        indexes = [models.Index(fields=["created_at"], name="qualification_rr_open",
                                condition=Q(rr_entered_at__isnull=True))]

    def __str__(self):
        return f"{self.series} {self.number}".strip()


class ApplicationColumnSet(models.Model):
    """A named set of columns a staff member saved for the applications list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="application_column_sets")
    name = models.CharField(_("название"), max_length=100)
    columns = models.JSONField(_("колонки"), default=list)

    class Meta:
        verbose_name = _("набор колонок")
        verbose_name_plural = _("наборы колонок")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_column_set_name")]

    def __str__(self):
        return self.name


class CitizenMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Partner staff see their organisations' mailings; the operator and auditors all of them."""
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(partner_id__in=access.partner_ids)


class CitizenMessage(models.Model):
    """A partner's mass notification to the citizens of a cohort or of a filtered applications list
    (reference §7.4 «Отправленные»): what was sent, by whom, to whom; one e-mail per citizen."""

    partner = models.ForeignKey("accounts.Organization", models.PROTECT, related_name="citizen_messages",
                                verbose_name=_("образовательный партнёр"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("отправил"))
    subject = models.CharField(_("тема"), max_length=200)
    body = models.TextField(_("текст"))
    audience = models.CharField(_("получатели"), max_length=500)
    # The applications list's filters the audience was chosen by: status, cohort, q, columns.
    filters = models.JSONField(_("фильтр заявок"), default=dict, blank=True)
    # Carried by the confirmation form: pressing «Отправить» twice sends once.
    idempotency_key = models.UUIDField(_("ключ отправки"), unique=True)
    recipients_count = models.PositiveIntegerField(_("получателей"), default=0)
    created_at = models.DateTimeField(_("отправлено"), default=timezone.now, db_index=True)

    objects = CitizenMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("уведомление гражданам")
        verbose_name_plural = _("уведомления гражданам")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "-created_at"], name="citizen_message_partner")]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("enrollment:message_detail", args=[self.pk])


class CitizenMessageRecipient(models.Model):
    """One citizen a mass notification went to, with the outbox e-mail that carries it (none when
    the citizen's address is not a valid e-mail)."""

    message = models.ForeignKey(CitizenMessage, models.CASCADE, related_name="recipients",
                                verbose_name=_("уведомление"))
    application = models.ForeignKey(Application, models.PROTECT, related_name="+", verbose_name=_("заявка"))
    citizen = models.ForeignKey(Citizen, models.PROTECT, related_name="+", verbose_name=_("гражданин"))
    email = models.CharField(_("e-mail"), max_length=254)
    outgoing_email = models.ForeignKey("core.OutgoingEmail", models.SET_NULL, null=True, blank=True, related_name="+",
                                       verbose_name=_("письмо"))

    class Meta:
        verbose_name = _("получатель уведомления")
        verbose_name_plural = _("получатели уведомлений")
        ordering = ["message", "pk"]
        constraints = [models.UniqueConstraint(fields=["message", "citizen"], name="uniq_message_citizen")]

    def __str__(self):
        return self.email
