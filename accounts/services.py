"""Account writes: invitations, one-time links, passwords, the second factor, staff rights.

Services never read the request: logging a session in (auth.login, django_otp.login) is the
view's job once a service has returned.
"""
import hashlib
import logging
import secrets
from collections.abc import Collection

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts import security_log
from accounts.groups import operator_group
from accounts.models import (
    AccessToken,
    Campaign,
    CampaignParticipation,
    Membership,
    Organization,
    User,
    UserEvent,
)
from accounts.permissions import may_manage_staff
from accounts.selectors import two_factor_required
from core.bulk import copy_insert
from core.mail import render_templated_mail, send_templated_mail

LINK_REQUESTS_PER_HOUR = 5
PASSWORD_PURPOSES = (AccessToken.Purpose.SET_PASSWORD, AccessToken.Purpose.RESET_PASSWORD)


class InvalidToken(ValidationError):
    """The link is unknown, used, superseded by a newer one, or expired."""

    def __init__(self):
        super().__init__(_("Ссылка устарела или уже использована."), code="invalid_token")


class TooManyRequests(ValidationError):
    """Too many link requests for one e-mail address within an hour."""

    def __init__(self):
        super().__init__(
            _("Слишком много запросов ссылки для этого адреса. Попробуйте через час."), code="rate_limited")


def _event(*, subject: User, actor: User | None, transition: str, comment: str = "") -> UserEvent:
    return UserEvent.objects.create(subject=subject, actor=actor, transition=transition, comment=comment)


TOKEN_SLOT = "token-slot"


def _absolute(url_name: str, *args) -> str:
    # Never from the request: the Host header is the attacker's to choose.
    return settings.SITE_URL + reverse(url_name, args=args)


# What the security notice says changed (AUTH-05): every credential change is mailed to the owner.
SECURITY_NOTICE_TEMPLATE = "accounts/emails/security_notice"
SECURITY_CHANGES = {
    "password_change": gettext_lazy("изменён пароль"),
    "password_reset": gettext_lazy("пароль установлен заново по ссылке восстановления"),
    "two_factor_enable": gettext_lazy("включён вход с кодом из приложения"),
    "two_factor_disable": gettext_lazy("отключён вход с кодом из приложения"),
    "email_change": gettext_lazy("изменён адрес электронной почты"),
    "phone_change": gettext_lazy("изменён номер телефона"),
}


def security_notice_send(*, user: User, change: str, to: str | None = None) -> None:
    """Tell the account's owner that a credential or contact changed, so that a change he did not
    make is noticed; sent through the outbox after the change commits (`to`: another address,
    e.g. the old one after an e-mail change)."""
    send_templated_mail(to=to or user.email, template=SECURITY_NOTICE_TEMPLATE, context={
        "user": user, "change": SECURITY_CHANGES[change], "changed_at": timezone.now(),
        "reset_url": _absolute("accounts:password_reset"), "support_email": settings.SUPPORT_EMAIL})


def _password_links_revoke(user: User) -> None:
    AccessToken.objects.filter(user=user, purpose__in=PASSWORD_PURPOSES, used_at=None,
                               revoked_at=None).update(revoked_at=timezone.now())


# One-time links ------------------------------------------------------------------------------

@transaction.atomic
def access_token_issue(*, user: User, purpose: str) -> str:
    """Issue a single-use link token for `user` and return the raw value (only its hash is kept).
    Older unused tokens of the same purpose are revoked: only the newest link works."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issuer at a time: one live link
    now = timezone.now()
    ttl = settings.CITIZEN_LOGIN_LINK_TTL if purpose == AccessToken.Purpose.CITIZEN_LOGIN \
        else settings.PASSWORD_SET_LINK_TTL
    AccessToken.objects.filter(user=user, purpose=purpose, used_at=None, revoked_at=None).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    AccessToken.objects.create(user=user, purpose=purpose, token_hash=AccessToken.hash(raw),
                               created_at=now, expires_at=now + ttl)
    return raw


def _token_consume(*, raw_token: str, purposes) -> AccessToken:
    """Lock a usable token of one of `purposes` and mark it used, or raise InvalidToken."""
    token = (AccessToken.objects.select_for_update(of=("self",)).select_related("user")
             .filter(token_hash=AccessToken.hash(raw_token), purpose__in=purposes).first())
    if token is None or not token.is_usable or not token.user.is_active:
        raise InvalidToken
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return token


def _link_request_count(email: str, purpose: str) -> None:
    """Count requests per address, whether or not it exists, so the limit reveals nothing."""
    key = f"accounts:link-requests:{purpose}:" + hashlib.sha256(email.lower().encode()).hexdigest()
    cache.add(key, 0, timeout=60 * 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60 * 60)
        count = 1
    if count > LINK_REQUESTS_PER_HOUR:
        raise TooManyRequests


# Staff invitations ----------------------------------------------------------------------------

@transaction.atomic
def staff_invite(*, actor: User | None, organization: Organization, email: str, last_name: str,
                 first_name: str, patronymic: str = "",
                 role: str = Membership.Role.PARTNER_STAFF) -> Membership:
    """Register a staff member of `organization` (closed registration) and e-mail a link to set
    a password. Every rule on who may be invited where lives here. `actor=None` is manage.py."""
    if not may_manage_staff(actor):
        raise PermissionDenied
    if Membership.ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise ValidationError(
            _("Роль «%(role)s» не подходит организации типа «%(kind)s».")
            % {"role": Membership.Role(role).label, "kind": organization.get_kind_display()},
            code="role_kind_mismatch")
    if not organization.is_active:
        raise ValidationError(_("Организация «%(org)s» отключена.") % {"org": organization}, code="inactive")
    if organization.kind == Organization.Kind.PARTNER and not organization.participations.filter(
            campaign__is_active=True, first_program_at__isnull=False).exists():
        raise ValidationError(
            _("У партнёра «%(org)s» ещё нет ни одной программы в текущей кампании: сотрудников можно "
              "зарегистрировать после того, как программа появится в Odin с отметкой национального проекта.")
            % {"org": organization}, code="no_programs")
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and user.is_citizen:
        raise ValidationError(_("Этот e-mail принадлежит слушателю; для сотрудника нужен другой адрес."),
                              code="citizen_email")
    if user is not None and not user.is_active:
        raise ValidationError(_("Учётная запись %(email)s отключена; включите её в администрировании.")
                              % {"email": user.email}, code="inactive_user")
    if user is None:
        user = User.objects.create_user(email=email, last_name=last_name.strip(),
                                        first_name=first_name.strip(), patronymic=patronymic.strip())
    if role == Membership.Role.OPERATOR_REVIEWER:
        # Operator reviewers work chiefly in the admin (DESIGN §2).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(operator_group())
    membership, created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    _event(subject=user, actor=actor, transition="invite",
           comment=f"{organization} — {membership.get_role_display()}")
    _invitation_send(user=user, organization=organization)
    return membership


@transaction.atomic
def staff_invite_resend(*, actor: User | None, user: User) -> None:
    """Send a fresh set-password link to a staff member who has not set a password yet."""
    if not may_manage_staff(actor):
        raise PermissionDenied
    if user.is_citizen or not user.is_active:
        raise ValidationError(_("%(user)s — не действующий сотрудник.") % {"user": user}, code="not_staff")
    if user.has_usable_password():
        raise ValidationError(
            _("%(user)s уже установил пароль; если он его забыл, пусть воспользуется восстановлением пароля.")
            % {"user": user}, code="password_already_set")
    membership = user.memberships.active().select_related("organization").first()
    if membership is None:
        raise ValidationError(_("%(user)s не состоит ни в одной организации.") % {"user": user},
                              code="no_membership")
    _event(subject=user, actor=actor, transition="invite_resend")
    _invitation_send(user=user, organization=membership.organization)


def _invitation_send(*, user: User, organization: Organization) -> None:
    if user.has_usable_password():
        # Already works in Flow (another organisation): tell him, do not hand out a password link.
        send_templated_mail(to=user.email, template="emails/accounts/membership_added",
                            context={"user": user, "organization": organization,
                                     "login_url": _absolute("accounts:login")})
        return
    raw = access_token_issue(user=user, purpose=AccessToken.Purpose.SET_PASSWORD)
    send_templated_mail(to=user.email, template="emails/accounts/invitation", context={
        "user": user, "organization": organization,
        "link": _absolute("accounts:password_set", raw),
        "ttl_hours": int(settings.PASSWORD_SET_LINK_TTL.total_seconds() // 3600)})


# Passwords ------------------------------------------------------------------------------------

@transaction.atomic
def password_set_with_token(*, raw_token: str, password: str) -> User:
    """Set the password through an invitation or reset link; the link then stops working, and
    so do the user's other password links."""
    token = _token_consume(raw_token=raw_token, purposes=PASSWORD_PURPOSES)
    user = token.user
    if user.is_citizen:
        raise InvalidToken
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _password_links_revoke(user)
    _event(subject=user, actor=user, transition="password_set", comment=token.get_purpose_display())
    security_log.security_event(security_log.PASSWORD_SET, user=user, purpose=token.purpose)
    if token.purpose == AccessToken.Purpose.RESET_PASSWORD:
        security_notice_send(user=user, change="password_reset")
    return user


@transaction.atomic
def password_change(*, user: User, password: str) -> User:
    """A logged-in staff member changes his password (the old one was checked by the form).
    Outstanding reset links stop working (AUTH-08), the owner is told by e-mail (AUTH-05); the
    view keeps the current session, and the changed password ends every other one (SESS-04)."""
    if user.is_citizen:
        raise PermissionDenied
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _password_links_revoke(user)
    _event(subject=user, actor=user, transition="password_change")
    security_log.security_event(security_log.PASSWORD_CHANGE, user=user)
    security_notice_send(user=user, change="password_change")
    return user


@transaction.atomic
def password_reset_link_send(*, email: str) -> None:
    """E-mail a reset link if `email` belongs to an active staff member; silently nothing
    otherwise, so that the answer never tells whether an account exists."""
    email = email.strip()
    _link_request_count(email, AccessToken.Purpose.RESET_PASSWORD)
    user = User.objects.filter(email__iexact=email, is_active=True, is_citizen=False).first()
    security_log.security_event(security_log.PASSWORD_RESET_REQUEST, user=user,
                                username_hash=security_log.username_digest(email))
    template, link = "emails/accounts/password_reset", "accounts:password_set"
    context = {"ttl_hours": int(settings.PASSWORD_SET_LINK_TTL.total_seconds() // 3600)}
    if user is None:
        _as_if_sent(email, template, link, context)
        return
    raw = access_token_issue(user=user, purpose=AccessToken.Purpose.RESET_PASSWORD)
    send_templated_mail(to=user.email, template=template,
                        context={**context, "user": user, "link": _absolute(link, raw)})


# Citizens' passwordless login -----------------------------------------------------------------

@transaction.atomic
def citizen_login_links_issue(*, users: list[User], known_user_ids: Collection[int]) -> dict[int, str]:
    """`access_token_issue` for many citizens at once (a feed's new applications): a fresh 24-hour login link
    each (only the newest works, so older unused ones are revoked). Returns user pk → full URL."""
    now = timezone.now()
    purpose = AccessToken.Purpose.CITIZEN_LOGIN
    if known_user_ids:  # one issuer at a time per user, as access_token_issue does
        list(User.objects.select_for_update().filter(pk__in=list(known_user_ids)).values_list("pk", flat=True))
        AccessToken.objects.filter(user_id__in=list(known_user_ids), purpose=purpose, used_at=None,
                                   revoked_at=None).update(revoked_at=now)
    raw = {user.pk: secrets.token_urlsafe(32) for user in users}
    copy_insert([
        AccessToken(user_id=pk, purpose=purpose, token_hash=AccessToken.hash(token), created_at=now,
                    expires_at=now + settings.CITIZEN_LOGIN_LINK_TTL) for pk, token in raw.items()])
    # One reverse() for the lot: a feed issues thousands of links per batch, and the URL differs
    # only by the token (URL-safe base64, so it needs no quoting).
    prefix, suffix = _absolute("accounts:citizen_login_confirm", TOKEN_SLOT).split(TOKEN_SLOT)
    return {pk: f"{prefix}{token}{suffix}" for pk, token in raw.items()}


@transaction.atomic
def citizen_login_link_send(*, email: str) -> None:
    """E-mail a personal login link to a citizen; the same silence as above for unknown e-mails."""
    email = email.strip()
    _link_request_count(email, AccessToken.Purpose.CITIZEN_LOGIN)
    user = User.objects.filter(email__iexact=email, is_active=True, is_citizen=True).first()
    template, link = "emails/accounts/citizen_login", "accounts:citizen_login_confirm"
    context = {"ttl_hours": int(settings.CITIZEN_LOGIN_LINK_TTL.total_seconds() // 3600)}
    if user is None:
        _as_if_sent(email, template, link, context)
        return
    raw = access_token_issue(user=user, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    send_templated_mail(to=user.email, template=template,
                        context={**context, "user": user, "link": _absolute(link, raw)})


def _as_if_sent(email: str, template: str, link: str, context: dict) -> None:
    """An unknown address costs what a known one does — a token drawn and hashed, the letter
    rendered — and is then dropped, so the response time does not tell whether an account exists
    (AUTH-04; the two database writes of a real send are the only difference, microseconds)."""
    raw = secrets.token_urlsafe(32)
    AccessToken.hash(raw)
    render_templated_mail(email, template, {**context, "user": User(email=email), "link": _absolute(link, raw)})


@transaction.atomic
def citizen_login_consume(*, raw_token: str) -> User:
    """Spend a citizen's login link and return the citizen to log in."""
    token = _token_consume(raw_token=raw_token, purposes=[AccessToken.Purpose.CITIZEN_LOGIN])
    if not token.user.is_citizen:
        raise InvalidToken
    return token.user


# Second factor (TOTP) -------------------------------------------------------------------------

def two_factor_key_new() -> str:
    """A fresh TOTP secret (hex), kept in the session until the user confirms it with a code."""
    return random_hex(20)


@transaction.atomic
def two_factor_enable(*, user: User, key: str, token: str) -> TOTPDevice:
    """Bind an authenticator app: `token` must be the app's current code for `key`."""
    if user.is_citizen:
        raise PermissionDenied
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
    if not token.strip().isdigit() or not totp.verify(int(token), tolerance=1):
        raise ValidationError(
            _("Неверный код. Проверьте, что время на телефоне установлено точно, и введите новый код."),
            code="invalid_code")
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=_("Приложение-аутентификатор"), key=key,
                                       confirmed=True, last_t=totp.t(), drift=totp.drift)
    _event(subject=user, actor=user, transition="two_factor_enable")
    security_log.security_event(security_log.MFA_ENABLED, user=user)
    security_notice_send(user=user, change="two_factor_enable")
    return device


@transaction.atomic
def two_factor_disable(*, user: User, password: str) -> None:
    """Unbind the authenticator app after the password is entered again; refused when the
    user's organisation requires a second factor."""
    if not user.check_password(password):
        raise ValidationError(_("Неверный пароль."), code="invalid_password")
    if two_factor_required(user=user):
        raise ValidationError(
            _("Ваша организация требует вход с кодом из приложения; отключить его нельзя."),
            code="two_factor_required")
    TOTPDevice.objects.filter(user=user).delete()
    _event(subject=user, actor=user, transition="two_factor_disable")
    security_log.security_event(security_log.MFA_DISABLED, user=user)
    security_notice_send(user=user, change="two_factor_disable")


def two_factor_verify(*, user: User, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts `token` (django-otp throttles failures), or None."""
    from django_otp import match_token

    device = match_token(user, token.strip())
    if device is None:
        security_log.security_event(security_log.MFA_FAILURE, user=user, level=logging.WARNING)
    else:
        security_log.security_event(security_log.MFA_SUCCESS, user=user)
    return device


# Rights of staff ------------------------------------------------------------------------------

@transaction.atomic
def membership_set_replace_documents(*, actor: User, membership: Membership, allowed: bool,
                                     comment: str = "") -> Membership:
    """Grant or revoke «may replace citizen documents» (given on an official letter); logged."""
    if actor is None or not may_manage_staff(actor):
        raise PermissionDenied
    membership = (Membership.objects.select_for_update(of=("self",))
                  .select_related("user", "organization").get(pk=membership.pk))
    if membership.role != Membership.Role.PARTNER_STAFF:
        raise ValidationError(_("Право заменять документы даётся только представителям образовательных "
                                "партнёров."), code="not_partner_staff")
    if membership.can_replace_citizen_documents == allowed:
        return membership
    membership.can_replace_citizen_documents = allowed
    membership.save(update_fields=["can_replace_citizen_documents", "updated_at"])
    _event(subject=membership.user, actor=actor,
           transition="replace_documents_grant" if allowed else "replace_documents_revoke",
           comment=f"{membership.organization}: {comment}" if comment else str(membership.organization))
    return membership


# Campaign participation ----------------------------------------------------------------------

@transaction.atomic
def participation_set_order_mode(*, actor: User | None, participation: CampaignParticipation,
                                 mode: str) -> CampaignParticipation:
    """The operator chooses a partner's order mode for the campaign (reference §4.2). The choice is
    fixed at once: from then on it never changes, whatever anyone asks."""
    if not may_manage_staff(actor):
        raise PermissionDenied
    if mode not in CampaignParticipation.OrderMode.values:
        raise ValidationError(_("Неизвестный режим приказов."), code="order_mode")
    participation = CampaignParticipation.objects.select_for_update().get(pk=participation.pk)
    if participation.order_mode_fixed_at is not None:
        raise ValidationError(
            _("Режим приказов для %(partner)s уже закреплён (%(mode)s) и не может быть изменён.")
            % {"partner": participation.partner, "mode": participation.get_order_mode_display()},
            code="order_mode_fixed")
    source = participation.order_mode
    participation.order_mode = mode
    participation.order_mode_fixed_at = timezone.now()
    participation.save(update_fields=["order_mode", "order_mode_fixed_at", "updated_at"])
    participation.events.create(actor=actor, transition="order_mode_fix", source=source, target=mode)
    return participation


@transaction.atomic
def participation_order_mode_fix(*, participation: CampaignParticipation) -> CampaignParticipation:
    """Fix the current order mode if nobody chose one: called when a partner issues its first
    order, after which the mode may no longer change. Idempotent."""
    participation = CampaignParticipation.objects.select_for_update().get(pk=participation.pk)
    if participation.order_mode_fixed_at is None:
        participation.order_mode_fixed_at = timezone.now()
        participation.save(update_fields=["order_mode_fixed_at", "updated_at"])
        participation.events.create(actor=None, transition="order_mode_fix", source=participation.order_mode,
                                    target=participation.order_mode, comment=_("Первый приказ партнёра"))
    return participation


@transaction.atomic
def participation_program_arrived(*, campaign: Campaign, partner: Organization) -> CampaignParticipation:
    """Record that `partner` has a program in `campaign` (called by the Odin import): from now on
    the partner appears in the campaign and its staff can be registered. Idempotent."""
    participation, _created = CampaignParticipation.objects.select_for_update().get_or_create(
        campaign=campaign, partner=partner)
    if participation.first_program_at is None:
        participation.first_program_at = timezone.now()
        participation.save(update_fields=["first_program_at", "updated_at"])
        participation.events.create(actor=None, transition="first_program", comment=str(campaign))
    return participation
