"""People, organisations, roles and campaigns: who works in Flow and on whose behalf."""
import hashlib
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import EventBase, TimeStampedModel
from core.validators import validate_bik, validate_inn, validate_kpp, validate_ogrn


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff by e-mail and password, citizens by a link sent to their e-mail."""

    email = models.EmailField(_("e-mail"), unique=True)
    last_name = models.CharField(_("фамилия"), max_length=150, blank=True)
    first_name = models.CharField(_("имя"), max_length=150, blank=True)
    patronymic = models.CharField(_("отчество"), max_length=150, blank=True)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    is_active = models.BooleanField(_("активен"), default=True)
    is_staff = models.BooleanField(_("доступ в администрирование"), default=False,
                                   help_text=_("Для представителей федерального оператора и поддержки."))
    is_citizen = models.BooleanField(_("гражданин"), default=False,
                                     help_text=_("Входит по ссылке из письма, без пароля."))
    date_joined = models.DateTimeField(_("зарегистрирован"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    # `createsuperuser` asks for the owner's name: no anonymous superusers (AUTH-07, accounts/checks.py).
    REQUIRED_FIELDS: list[str] = ["last_name", "first_name"]

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        ordering = ["last_name", "first_name", "email"]
        # The РР feed finds a batch's citizens by e-mail in any case (lower(email) IN …): without
        # this index, a seq scan of every user per batch (0.75 s at 1,000,000 users).
        indexes = [models.Index(Lower("email"), name="user_email_ci")]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    def get_short_name(self):
        return self.first_name or self.email

    @cached_property
    def access(self) -> "AccessProfile":
        """What this user may act as, computed once per request from the active memberships."""
        return AccessProfile.for_user(self)


class Region(models.Model):
    """A subject of the Russian Federation, by its two-digit code (70 — Томская область)."""

    code = models.CharField(_("код"), max_length=3, primary_key=True)
    name = models.CharField(_("название"), max_length=120)

    class Meta:
        verbose_name = _("регион")
        verbose_name_plural = _("регионы")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"


class OrganizationQuerySet(models.QuerySet):
    def in_campaigns(self):
        """Operators and employment services, and the partners that have a program in an active campaign."""
        return self.filter(~Q(kind=Organization.Kind.PARTNER) | Q(
            participations__first_program_at__isnull=False, participations__campaign__is_active=True)).distinct()

    def visible_to(self, user):
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(
            Q(pk__in=access.partner_ids | access.employment_service_ids)
            | Q(kind=Organization.Kind.OPERATOR, pk__in=access.operator_ids))


class Organization(TimeStampedModel):
    """A legal entity: the federal operator (ФО), an educational partner (ОП) or an employment
    service (СЗН). Its requisites are substituted into generated documents."""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("Федеральный оператор")
        PARTNER = "partner", _("Образовательный партнёр")
        EMPLOYMENT_SERVICE = "employment_service", _("Служба занятости")

    class VatType(models.TextChoices):
        WITHOUT_VAT = "without", _("Без НДС")
        VAT_20 = "vat20", _("НДС 20%")
        VAT_10 = "vat10", _("НДС 10%")
        VAT_0 = "vat0", _("НДС 0%")

    kind = models.CharField(_("тип"), max_length=20, choices=Kind, db_index=True)
    name = models.CharField(_("полное наименование"), max_length=500)
    short_name = models.CharField(_("краткое наименование"), max_length=200)
    inn = models.CharField(_("ИНН"), max_length=12, unique=True, validators=[validate_inn])
    kpp = models.CharField(_("КПП"), max_length=9, blank=True, validators=[validate_kpp])
    ogrn = models.CharField(_("ОГРН"), max_length=15, blank=True, validators=[validate_ogrn])
    legal_address = models.CharField(_("юридический адрес"), max_length=500, blank=True)
    postal_address = models.CharField(_("почтовый адрес"), max_length=500, blank=True)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("регион нахождения"))
    regions = models.ManyToManyField(Region, blank=True, related_name="organizations",
                                     verbose_name=_("регионы работы"),
                                     help_text=_("Для службы занятости — регионы, за которые она отвечает."))
    # Licence (needed for ФИС ФРДО and generated documents).
    licence_number = models.CharField(_("номер лицензии"), max_length=100, blank=True)
    licence_issuer = models.CharField(_("кем выдана лицензия"), max_length=300, blank=True)
    licence_date = models.DateField(_("дата лицензии"), null=True, blank=True)
    # Bank details.
    bank_name = models.CharField(_("банк"), max_length=300, blank=True)
    bank_bik = models.CharField(_("БИК"), max_length=9, blank=True, validators=[validate_bik])
    bank_inn = models.CharField(_("ИНН банка"), max_length=12, blank=True, validators=[validate_inn])
    bank_kpp = models.CharField(_("КПП банка"), max_length=9, blank=True, validators=[validate_kpp])
    settlement_account = models.CharField(_("расчётный счёт"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("корреспондентский счёт"), max_length=20, blank=True)
    personal_account = models.CharField(_("лицевой счёт"), max_length=30, blank=True)
    vat_type = models.CharField(_("НДС"), max_length=10, choices=VatType, default=VatType.WITHOUT_VAT)
    # Contacts published on Работа России.
    contact_email = models.EmailField(_("e-mail для публикации"), blank=True)
    contact_phone = models.CharField(_("телефон для публикации"), max_length=32, blank=True)
    website = models.URLField(_("сайт"), blank=True)
    originals_delivery = models.TextField(_("как гражданину передать оригиналы"), blank=True)
    requires_two_factor = models.BooleanField(
        _("обязательная двухфакторная аутентификация"), default=False,
        help_text=_("Сотрудники должны подтверждать вход кодом из приложения."))
    # Begins the numbers of generated documents, e.g. automatic orders «АЛЬФА-17-ПЗ» (reference §4.3).
    document_prefix = models.CharField(
        _("префикс номеров документов"), max_length=10, blank=True,
        validators=[RegexValidator(r"^[А-ЯЁA-Z]{3,10}$", _("От 3 до 10 заглавных букв без пробелов."))])
    is_active = models.BooleanField(_("активна"), default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("организация")
        verbose_name_plural = _("организации")
        ordering = ["short_name"]

    def __str__(self):
        return self.short_name or self.name

    @property
    def number_prefix(self) -> str:
        """The document prefix, or «ОП<id>» until the operator sets one."""
        return self.document_prefix or f"ОП{self.pk}"


class Signatory(TimeStampedModel):
    """A person who signs documents for an organisation within an authority period; only the
    operator adds them. When no specific signatory is valid on a date, the main one signs."""

    class DocumentType(models.TextChoices):
        ANY = "any", _("Любой документ")
        TRAINING_CONTRACT = "training_contract", _("Договор на организацию обучения")
        NETWORK_CONTRACT = "network_contract", _("Договор о сетевой форме")
        COST_PROPOSAL = "cost_proposal", _("Предложение о стоимости")
        CITIZEN_CONTRACT = "citizen_contract", _("Договор с гражданином")
        ASSIGNMENT = "assignment", _("Задание")
        ACT = "act", _("Акт")
        REPORT = "report", _("Отчёт")
        ORDER = "order", _("Автоматические приказы")
        PORTAL = "portal", _("Договоры о намерениях на РР")

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="signatories",
                                     verbose_name=_("организация"))
    full_name = models.CharField(_("ФИО"), max_length=300)
    full_name_genitive = models.CharField(_("ФИО в родительном падеже"), max_length=300, blank=True)
    position = models.CharField(_("должность"), max_length=300)
    authority = models.CharField(_("действует на основании"), max_length=300, default="Устава")
    valid_from = models.DateField(_("полномочия с"))
    valid_to = models.DateField(_("полномочия по"), null=True, blank=True)
    is_main = models.BooleanField(_("основной подписант"), default=False)
    document_types = models.JSONField(_("типы документов"), default=list, blank=True)

    class Meta:
        verbose_name = _("подписант")
        verbose_name_plural = _("подписанты")
        ordering = ["organization", "-is_main", "full_name"]

    def __str__(self):
        return f"{self.full_name}, {self.position}"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, organization__is_active=True)

    def visible_to(self, user):
        """The operator and auditors see every membership; partner staff their organisations' ones."""
        access = user.access
        if access.sees_all_partners:
            return self
        return self.filter(organization_id__in=access.partner_ids)


class Membership(TimeStampedModel):
    """A user's role in an organisation; a user may hold several."""

    class Role(models.TextChoices):
        OPERATOR_REVIEWER = "operator_reviewer", _("Представитель федерального оператора")
        AUDITOR = "auditor", _("Аудитор")
        PARTNER_STAFF = "partner_staff", _("Представитель образовательного партнёра")
        EMPLOYMENT_REVIEWER = "employment_reviewer", _("Представитель СЗН")

    ROLE_ORGANIZATION_KIND = {
        Role.OPERATOR_REVIEWER: Organization.Kind.OPERATOR,
        Role.AUDITOR: Organization.Kind.OPERATOR,
        Role.PARTNER_STAFF: Organization.Kind.PARTNER,
        Role.EMPLOYMENT_REVIEWER: Organization.Kind.EMPLOYMENT_SERVICE,
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships",
                             verbose_name=_("пользователь"))
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="memberships",
                                     verbose_name=_("организация"))
    role = models.CharField(_("роль"), max_length=30, choices=Role)
    # «Может заменять документы гражданина»: granted on an official letter, every change logged.
    can_replace_citizen_documents = models.BooleanField(_("может заменять документы гражданина"), default=False)
    is_active = models.BooleanField(_("действует"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("членство")
        verbose_name_plural = _("членства")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="uniq_membership"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} ({self.organization})"


@dataclass(frozen=True)
class AccessProfile:
    """The roles a user holds, reduced to the ids that scope querysets (`visible_to`)."""

    operator_ids: frozenset = frozenset()
    auditor_ids: frozenset = frozenset()
    partner_ids: frozenset = frozenset()
    employment_service_ids: frozenset = frozenset()
    region_codes: frozenset = frozenset()
    replace_documents_partner_ids: frozenset = frozenset()
    requires_two_factor: bool = False
    is_citizen: bool = False

    @classmethod
    def for_user(cls, user) -> "AccessProfile":
        if not user.is_authenticated or not user.is_active:
            return cls()
        ids = {role: set() for role in Membership.Role.values}
        replace = set()
        requires_two_factor = False
        memberships = Membership.objects.active().filter(user=user).values_list(
            "role", "organization_id", "can_replace_citizen_documents", "organization__requires_two_factor")
        for role, organization_id, can_replace, org_requires_two_factor in memberships:
            ids[role].add(organization_id)
            requires_two_factor |= org_requires_two_factor
            if can_replace and role == Membership.Role.PARTNER_STAFF:
                replace.add(organization_id)
        employment = ids[Membership.Role.EMPLOYMENT_REVIEWER]
        regions = set()
        if employment:
            regions = set(Organization.regions.through.objects.filter(
                organization_id__in=employment).values_list("region_id", flat=True))
        return cls(
            operator_ids=frozenset(ids[Membership.Role.OPERATOR_REVIEWER]),
            auditor_ids=frozenset(ids[Membership.Role.AUDITOR]),
            partner_ids=frozenset(ids[Membership.Role.PARTNER_STAFF]),
            employment_service_ids=frozenset(employment),
            region_codes=frozenset(regions),
            replace_documents_partner_ids=frozenset(replace),
            requires_two_factor=requires_two_factor,
            is_citizen=user.is_citizen,
        )

    @property
    def is_operator(self) -> bool:
        return bool(self.operator_ids)

    @property
    def is_auditor(self) -> bool:
        return bool(self.auditor_ids)

    @property
    def is_partner_staff(self) -> bool:
        return bool(self.partner_ids)

    @property
    def is_employment_reviewer(self) -> bool:
        return bool(self.employment_service_ids)

    @property
    def is_staff_member(self) -> bool:
        """Works in the staff cabinet (any organisation role)."""
        return bool(self.operator_ids or self.auditor_ids or self.partner_ids or self.employment_service_ids)

    @property
    def sees_all_partners(self) -> bool:
        return self.is_operator or self.is_auditor


class Campaign(TimeStampedModel):
    """A national project's year («АМСЗ 2026»): every record of the workflow belongs to one."""

    class NationalProject(models.TextChoices):
        ACTIVE_EMPLOYMENT = "active_employment", _("Активные меры содействия занятости")
        DEMOGRAPHY = "demography", _("Демография")
        PERSONNEL = "personnel", _("Кадры")

    code = models.SlugField(_("код"), max_length=40, unique=True)
    national_project = models.CharField(_("национальный проект"), max_length=30, choices=NationalProject)
    year = models.PositiveSmallIntegerField(_("год"))
    title = models.CharField(_("название"), max_length=200)
    starts_on = models.DateField(_("начало"))
    ends_on = models.DateField(_("окончание"))
    is_active = models.BooleanField(_("активна"), default=True)

    class Meta:
        verbose_name = _("кампания")
        verbose_name_plural = _("кампании")
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(fields=["national_project", "year"], name="uniq_campaign_project_year"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_ordered"),
        ]

    def __str__(self):
        return self.title


class CampaignParticipation(TimeStampedModel):
    """A partner's part in a campaign. The order mode is chosen once, before the first order,
    and never changes afterwards (reference §4.2)."""

    class OrderMode(models.TextChoices):
        MANUAL = "manual", _("Ручной")
        AUTOMATIC = "automatic", _("Автоматический")

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="participations",
                                 verbose_name=_("кампания"))
    partner = models.ForeignKey(Organization, models.CASCADE, related_name="participations",
                                limit_choices_to={"kind": Organization.Kind.PARTNER},
                                verbose_name=_("образовательный партнёр"))
    is_qualified = models.BooleanField(_("прошёл квалификационный отбор"), default=False)
    order_mode = models.CharField(_("режим приказов"), max_length=10, choices=OrderMode,
                                  default=OrderMode.MANUAL)
    order_mode_fixed_at = models.DateTimeField(_("режим приказов закреплён"), null=True, blank=True)
    # A partner appears in the campaign (its staff can be registered, it shows in lists) only once
    # its first program of the campaign has arrived from Odin (seed 000, "Регистрация").
    first_program_at = models.DateTimeField(_("первая программа получена"), null=True, blank=True)

    class Meta:
        verbose_name = _("участие в кампании")
        verbose_name_plural = _("участие в кампаниях")
        constraints = [models.UniqueConstraint(fields=["campaign", "partner"], name="uniq_participation")]

    def __str__(self):
        return f"{self.partner} — {self.campaign}"


class AccessToken(models.Model):
    """A single-use link sent by e-mail: a staff member's set-password or reset link, or a
    citizen's login link. Only the hash is stored; issuing a new one voids the older ones."""

    class Purpose(models.TextChoices):
        SET_PASSWORD = "set_password", _("Установка пароля")
        RESET_PASSWORD = "reset_password", _("Восстановление пароля")
        CITIZEN_LOGIN = "citizen_login", _("Вход гражданина")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="access_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ссылка доступа")
        verbose_name_plural = _("ссылки доступа")
        indexes = [models.Index(fields=["user", "purpose"], name="token_user_purpose")]

    def __str__(self):
        return f"{self.get_purpose_display()} — {self.user}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and timezone.now() < self.expires_at


class UserEvent(EventBase):
    """A user's account history: invitations, passwords set, rights granted or taken away."""

    subject = models.ForeignKey(User, models.CASCADE, related_name="events", verbose_name=_("пользователь"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие учётной записи")
        verbose_name_plural = _("события учётных записей")


class CampaignParticipationEvent(EventBase):
    """A participation's history: the order mode chosen and fixed, qualification changes."""

    subject = models.ForeignKey(CampaignParticipation, models.CASCADE, related_name="events",
                                verbose_name=_("участие в кампании"))

    class Meta(EventBase.Meta):
        verbose_name = _("событие участия в кампании")
        verbose_name_plural = _("события участия в кампаниях")
