"""Forms of the accounts app: login, passwords, the second factor, invitations, list filters."""
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organization, Region


class LoginForm(auth_forms.AuthenticationForm):
    """E-mail and password. The field stays `username` so that django-axes sees it."""

    error_messages = {
        "invalid_login": _("Неверный e-mail или пароль."),
        "inactive": _("Учётная запись отключена."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["password"].label = _("Пароль")

    def clean_username(self):
        # One spelling per address: otherwise "Staff.A@…" and "staff.a@…" would be separate
        # lockout counters for django-axes.
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # Both keys: ModelBackend reads `username`; django-axes reads AXES_USERNAME_FORM_FIELD,
            # which defaults to USERNAME_FIELD ("email"). Either way the lockout sees the address.
            self.user_cache = authenticate(self.request, username=username, email=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_citizen:
            # Citizens have no password; should one ever work, it still does not open the door.
            raise self.get_invalid_login_error()


class SetPasswordForm(auth_forms.SetPasswordForm):
    """New password twice, checked by AUTH_PASSWORD_VALIDATORS (length, similarity, common,
    numeric, composition)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Новый пароль")
        self.fields["new_password2"].label = _("Новый пароль ещё раз")
        self.fields["new_password2"].help_text = ""
        self.error_messages = {**self.error_messages, "password_mismatch": _("Пароли не совпадают.")}


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": _("Текущий пароль введён неверно."),
        "password_mismatch": _("Пароли не совпадают."),
    }

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = _("Текущий пароль")
        self.fields["new_password1"].label = _("Новый пароль")
        self.fields["new_password2"].label = _("Новый пароль ещё раз")
        self.fields["new_password2"].help_text = ""


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Код из приложения"), regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": _("Введите 6 цифр из приложения.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}))


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label=_("Пароль"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class StaffInviteForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Организация"), queryset=Organization.objects.filter(is_active=True).order_by("kind", "short_name"))
    role = forms.ChoiceField(label=_("Роль"), choices=Membership.Role.choices, initial=Membership.Role.PARTNER_STAFF)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    last_name = forms.CharField(label=_("Фамилия"), max_length=150)
    first_name = forms.CharField(label=_("Имя"), max_length=150)
    patronymic = forms.CharField(label=_("Отчество"), max_length=150, required=False)

    def clean(self):
        data = super().clean()
        organization, role = data.get("organization"), data.get("role")
        if organization and role and Membership.ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
            self.add_error("role", _("Эта роль не подходит организации типа «%(kind)s».")
                           % {"kind": organization.get_kind_display()})
        return data


class ReplaceDocumentsForm(forms.Form):
    allowed = forms.TypedChoiceField(coerce=lambda v: v == "1", choices=[("1", _("Разрешить")), ("0", _("Запретить"))])
    comment = forms.CharField(label=_("Основание (письмо)"), max_length=500, required=False)


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Название или ИНН")}))
    kind = forms.ChoiceField(label=_("Тип"), required=False, choices=[("", _("Все типы")), *Organization.Kind.choices])
    region = forms.ModelChoiceField(label=_("Регион"), required=False, queryset=Region.objects.all(),
                                    empty_label=_("Все регионы"))
    sort = forms.CharField(required=False, widget=forms.HiddenInput)


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("ФИО или e-mail")}))
    organization = forms.ModelChoiceField(label=_("Организация"), required=False,
                                          queryset=Organization.objects.none(), empty_label=_("Все организации"))
    role = forms.ChoiceField(label=_("Роль"), required=False, choices=[("", _("Все роли")), *Membership.Role.choices])
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations
