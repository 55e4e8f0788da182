import base64
import io
from base64 import b32encode

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors, services
from accounts.dashboard import panels_for
from accounts.forms import (
    CodeForm,
    EmailForm,
    LoginForm,
    OrganizationFilterForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    ReplaceDocumentsForm,
    SetPasswordForm,
    StaffFilterForm,
    StaffInviteForm,
)
from accounts.models import Membership, Organization
from accounts.permissions import may_manage_staff, may_view_organizations, may_view_staff_list, uses_password
from accounts.sessions import sessions_end
from core.access import get_for_user_or_404, require
from core.queues import queue_counts

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TOTP_KEY_SESSION = "accounts:totp_key"
PAGE_SIZE = 50


@require_safe
@login_not_required
def home(request):
    """The site root sends each person to their own start page."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.access.is_staff_member or user.is_staff:
        return redirect("accounts:staff_home")
    if user.is_citizen:
        return redirect("cabinet:home")
    return redirect("accounts:login")


@require_safe
def staff_home(request):
    """The staff start page: what each role works on (work queues arrive with later issues)."""
    access = request.user.access
    require(access.is_staff_member or request.user.is_staff)
    memberships = request.user.memberships.active().select_related("organization")
    return render(request, "accounts/staff_home.html", {
        "access": access, "memberships": memberships, "panels": panels_for(request.user),
        "queue_groups": _grouped(queue_counts(request.user))})


def _grouped(counts) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for entry in counts:
        groups.setdefault(str(entry.spec.group), []).append(entry)
    return list(groups.items())


def _next_url(request, default: str = settings.LOGIN_REDIRECT_URL) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return resolve_url(default)


# Staff login ----------------------------------------------------------------------------------

# Outside Django's dispatch, which sends a logged-in user on before it looks at the method.
@method_decorator(require_http_methods(["GET", "HEAD", "POST"]), name="dispatch")
class LoginView(auth_views.LoginView):
    """E-mail and password; a user with an authenticator app goes on to the code page."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if selectors.two_factor_has_device(user=form.get_user()):
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default); back to the login page."""


# Passwords ------------------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
@login_not_required
@sensitive_post_parameters()
def password_set(request, token):
    """The invitation and reset link: set a password once, then work logged in."""
    found = selectors.access_token_find(raw_token=token, purposes=services.PASSWORD_PURPOSES)
    if found is None or found.user.is_citizen:
        return _link_invalid(request, kind="password")
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_set_with_token(raw_token=token, password=form.cleaned_data["new_password1"])
        except services.InvalidToken:
            return _link_invalid(request, kind="password")
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Пароль установлен. Вы вошли в Flow."))
            return redirect("accounts:home")
    return render(request, "accounts/password_set.html", {"form": form, "token_user": found.user,
                                                          "is_reset": found.purpose != found.Purpose.SET_PASSWORD})


def _link_invalid(request, *, kind: str):
    # 200, not an error: an old link is an everyday event, and the page says what to do.
    return render(request, "accounts/link_invalid.html", {"kind": kind})


@require_http_methods(["GET", "HEAD", "POST"])
@login_not_required
def password_reset(request):
    """«Forgot password»: the same answer whether or not the e-mail is known."""
    return _link_request(request, services.password_reset_link_send, "accounts/password_reset.html")


@require_http_methods(["GET", "HEAD", "POST"])
@login_not_required
def citizen_login(request):
    """Citizens log in by a personal link sent to the e-mail of their application."""
    if request.user.is_authenticated and request.user.is_citizen:
        return redirect("cabinet:home")
    return _link_request(request, services.citizen_login_link_send, "accounts/citizen_login.html")


def _link_request(request, send, template: str):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            send(email=form.cleaned_data["email"])
        except services.TooManyRequests as error:
            form.add_error(None, error)
        else:
            return redirect(f"{request.path}?sent=1")
    return render(request, template, {"form": form, "sent": request.GET.get("sent") == "1"})


@require_http_methods(["GET", "HEAD", "POST"])
@login_not_required
def citizen_login_confirm(request, token):
    """The link from the citizen's e-mail: logs in once, then the cabinet."""
    try:
        user = services.citizen_login_consume(raw_token=token)
    except services.InvalidToken:
        return _link_invalid(request, kind="citizen")
    auth_login(request, user, backend=MODEL_BACKEND)
    return redirect("cabinet:home")


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters()
def password_change(request):
    require(uses_password(request.user))
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.password_change(user=request.user, password=form.cleaned_data["new_password1"])
        # This session continues under a new key; every other session of the user ends (SESS-04).
        update_session_auth_hash(request, user)
        sessions_end(user=user, keep=request.session.session_key, reason="password_change", request=request)
        messages.success(request, _("Пароль изменён."))
        return redirect("accounts:home")
    return render(request, "accounts/password_change.html", {"form": form})


# Second factor --------------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def two_factor(request):
    """Bind an authenticator app (QR code + secret, confirmed by a code), or see that it is bound."""
    require(uses_password(request.user))
    device = selectors.two_factor_device_for(user=request.user)
    if device is not None:
        return _two_factor_status(request, device, PasswordConfirmForm())
    key = request.session.get(TOTP_KEY_SESSION) or services.two_factor_key_new()
    request.session[TOTP_KEY_SESSION] = key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_enable(user=request.user, key=key, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _otp_login(request, device)
            del request.session[TOTP_KEY_SESSION]
            messages.success(request, _("Вход с кодом из приложения включён."))
            return redirect(_next_url(request))
    config_url = TOTPDevice(user=request.user, key=key).config_url
    secret = b32encode(bytes.fromhex(key)).decode()
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr_data_uri": _qr_data_uri(config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": selectors.two_factor_required(user=request.user), "next": request.GET.get("next", "")})


def _otp_login(request, device) -> None:
    """Mark the session verified under a fresh key: a key seen before the step-up (a fixated or
    leaked one) must not carry the verified state (SESS-01)."""
    request.session.cycle_key()
    otp_login(request, device)


def _two_factor_status(request, device, form):
    return render(request, "accounts/two_factor_status.html", {
        "device": device, "form": form, "can_disable": not selectors.two_factor_required(user=request.user)})


def _qr_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_POST
@sensitive_post_parameters()
def two_factor_disable(request):
    require(uses_password(request.user))
    device = selectors.two_factor_device_for(user=request.user)
    if device is None:
        return redirect("accounts:two_factor")
    form = PasswordConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error("password", error)
        else:
            messages.success(request, _("Вход с кодом из приложения отключён."))
            return redirect("accounts:two_factor")
    return _two_factor_status(request, device, form)


@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_verify(request):
    """After the password: the 6-digit code from the app, before any other page."""
    require(uses_password(request.user))
    next_url = _next_url(request)
    if request.user.is_verified() or not selectors.two_factor_has_device(user=request.user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            _otp_login(request, device)
            return redirect(next_url)
        form.add_error("code", _("Неверный код. Проверьте, что время на телефоне установлено точно, "
                                 "и введите новый код."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


# Staff and organisations ----------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def staff_invite(request):
    """The operator registers a staff member; the person receives a link to set a password."""
    require(may_manage_staff(request.user))
    form = StaffInviteForm(request.POST or None, initial={"organization": request.GET.get("organization")})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.staff_invite(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Приглашение отправлено: %(email)s.") % {"email": membership.user.email})
            return redirect(f"{reverse('accounts:staff_list')}?organization={membership.organization_id}")
    return render(request, "accounts/staff_invite.html", {"form": form})


@require_safe
def staff_list(request):
    """Staff members: the operator sees all, partner staff their own organisations'."""
    require(may_view_staff_list(request.user))
    form = StaffFilterForm(request.GET or None,
                           organizations=selectors.staff_organizations_for(user=request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    memberships = selectors.staff_list_for(
        user=request.user, search=filters.get("q", ""), organization=filters.get("organization"),
        role=filters.get("role", ""), sort=filters.get("sort") or "name")
    page = Paginator(memberships, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = may_manage_staff(request.user)
    rows = []
    for membership in page:
        is_partner_staff = membership.role == Membership.Role.PARTNER_STAFF
        rows.append({"membership": membership, "is_partner_staff": is_partner_staff,
                     "can_toggle": can_manage and is_partner_staff})
    return render(request, "accounts/staff_list.html", {
        "form": form, "page": page, "rows": rows, "can_invite": can_manage,
        "sort": filters.get("sort") or "name"})


@require_POST
def membership_replace_documents(request, pk):
    """Grant or revoke «may replace citizen documents» (operator only)."""
    membership = get_for_user_or_404(Membership.objects.select_related("user", "organization"),
                                     request.user, pk=pk)
    require(may_manage_staff(request.user))
    form = ReplaceDocumentsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Не удалось изменить право: неверный запрос."))
    else:
        try:
            services.membership_set_replace_documents(actor=request.user, membership=membership,
                                                      **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = (_("%(user)s может заменять документы граждан.") if form.cleaned_data["allowed"]
                    else _("%(user)s больше не может заменять документы граждан."))
            messages.success(request, text % {"user": membership.user})
    return redirect(_next_url(request, default="accounts:staff_list"))


@require_safe
def organization_list(request):
    """Organisations the user may see, with search (name, INN) and filters (kind, region)."""
    require(may_view_organizations(request.user))
    form = OrganizationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    organizations = selectors.organization_list_for(
        user=request.user, search=filters.get("q", ""), kind=filters.get("kind", ""),
        region=filters.get("region"), sort=filters.get("sort") or "name")
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/organization_list.html", {
        "form": form, "page": page, "sort": filters.get("sort") or "name"})


@require_safe
def organization_detail(request, pk):
    """The organisation card: requisites, licence, bank details, signatories, contacts."""
    organization = get_for_user_or_404(selectors.organization_detail_queryset(), request.user, pk=pk)
    user = request.user
    sees_staff = may_view_staff_list(user) and (
        user.is_superuser or user.access.sees_all_partners or organization.pk in user.access.partner_ids)
    return render(request, "accounts/organization_detail.html", {
        "organization": organization, "signatories": organization.signatories.all(),
        "regions": organization.regions.all(), "sees_staff": sees_staff,
        "can_invite": may_manage_staff(user) and organization.is_active,
        "is_partner": organization.kind == Organization.Kind.PARTNER})
