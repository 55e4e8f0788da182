"""Admin for operator reviewers and ops: users, organisations, roles, campaigns, links, history.

Actions call the services (invitations, «may replace citizen documents»); flags with a history
are read-only here. Non-superusers never touch superuser rights, groups or other people's passwords.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import (
    AccessToken,
    Campaign,
    CampaignParticipation,
    CampaignParticipationEvent,
    Membership,
    Organization,
    Region,
    Signatory,
    User,
    UserEvent,
)

EVENT_LABELS = {
    "invite": _("Приглашён"),
    "invite_resend": _("Приглашение отправлено повторно"),
    "password_set": _("Пароль установлен по ссылке"),
    "password_change": _("Пароль изменён"),
    "two_factor_enable": _("Включён вход с кодом из приложения"),
    "two_factor_disable": _("Отключён вход с кодом из приложения"),
    "replace_documents_grant": _("Разрешено заменять документы гражданина"),
    "replace_documents_revoke": _("Запрещено заменять документы гражданина"),
}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: look, never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@login_not_required
def _admin_login(request, extra_context=None):
    """One login page for the whole site (lockout, citizens refused, second factor)."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(reverse("admin:index"))
        raise PermissionDenied  # logged in, but not admin staff: no redirect loop through the login page
    return redirect_to_login(next_url, reverse("accounts:login"))


admin.site.login = _admin_login


def _run_for_each(modeladmin, request, items, call, done_message):
    """Call a service per item; report successes once and each refusal by its own message."""
    done = 0
    for item in items:
        try:
            call(item)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else _("Нет прав.")
            modeladmin.message_user(request, f"{item}: {text}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


# Users ----------------------------------------------------------------------------------------

class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "last_name", "first_name", "patronymic")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("organization", "role", "is_active", "can_replace_citizen_documents")
    readonly_fields = ("can_replace_citizen_documents",)
    autocomplete_fields = ("organization",)
    verbose_name_plural = _("членство в организациях")


class UserEventInline(ReadOnlyInline):
    model = UserEvent
    fk_name = "subject"
    fields = ("created_at", "event", "actor", "comment")
    readonly_fields = fields
    ordering = ("-created_at", "-pk")
    verbose_name_plural = _("история учётной записи")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("действие"))
    def event(self, obj):
        return EVENT_LABELS.get(obj.transition, obj.transition)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "get_full_name", "is_citizen", "is_staff", "is_active", "last_login", "date_joined")
    list_filter = ("is_staff", "is_citizen", "is_active", "is_superuser")
    search_fields = ("email", "last_name", "first_name", "patronymic")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Личные данные"), {"fields": ("last_name", "first_name", "patronymic", "phone")}),
        (_("Доступ"), {"fields": ("is_active", "is_citizen", "is_staff", "is_superuser", "groups",
                                  "user_permissions")}),
        (_("Даты"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "last_name", "first_name", "patronymic",
                                                 "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = (UserMembershipInline, UserEventInline)
    actions = ("resend_invitation",)

    @admin.display(description=_("ФИО"), ordering="last_name")
    def get_full_name(self, obj):
        return obj.get_full_name()

    def get_inlines(self, request, obj):
        # The add page asks only for the account; roles and history follow on the change page.
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields = (*fields, "is_superuser", "is_staff", "groups", "user_permissions")
        return fields

    def has_change_permission(self, request, obj=None):
        # Only a superuser edits a superuser (and so sets his password).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Staff set their passwords themselves, through the link; only ops may override that.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.action(description=_("Отправить приглашение повторно"), permissions=["change"])
    def resend_invitation(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda user: services.staff_invite_resend(actor=request.user, user=user),
                      _("Приглашений отправлено: %(count)d."))


# Organisations --------------------------------------------------------------------------------

class SignatoryForm(forms.ModelForm):
    document_types = forms.MultipleChoiceField(
        label=_("типы документов"), required=False, choices=Signatory.DocumentType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Пусто — подписывает любые документы, если он основной подписант."))

    class Meta:
        model = Signatory
        fields = ("full_name", "full_name_genitive", "position", "authority", "valid_from", "valid_to", "is_main",
                  "document_types")


class SignatoryInline(admin.StackedInline):
    model = Signatory
    form = SignatoryForm
    extra = 0
    fields = (("full_name", "full_name_genitive"), ("position", "authority"), ("valid_from", "valid_to", "is_main"),
              "document_types")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("short_name", "inn", "kind", "region", "is_active", "requires_two_factor")
    list_filter = ("kind", "region", "is_active", "requires_two_factor")
    search_fields = ("name", "short_name", "inn", "ogrn")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)
    filter_horizontal = ("regions",)
    fieldsets = (
        (None, {"fields": ("kind", "name", "short_name", "document_prefix", "is_active", "requires_two_factor")}),
        (_("Реквизиты"), {"fields": ("inn", "kpp", "ogrn", "legal_address", "postal_address", "region", "regions")}),
        (_("Лицензия"), {"fields": ("licence_number", "licence_issuer", "licence_date")}),
        (_("Банковские реквизиты"), {"fields": ("bank_name", "bank_bik", "bank_inn", "bank_kpp",
                                                "settlement_account", "correspondent_account",
                                                "personal_account", "vat_type")}),
        (_("Контакты"), {"fields": ("contact_email", "contact_phone", "website", "originals_delivery")}),
    )
    inlines = (SignatoryInline,)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ReplaceDocumentsActionForm(forms.Form):
    comment = forms.CharField(label=_("Основание (официальное письмо)"), max_length=500, required=False,
                              widget=forms.TextInput(attrs={"size": 60}))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "can_replace_citizen_documents", "is_active", "created_at")
    list_filter = ("role", "can_replace_citizen_documents", "is_active", "organization__kind")
    search_fields = ("user__email", "user__last_name", "user__first_name", "organization__short_name",
                     "organization__inn")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("can_replace_citizen_documents", "created_at", "updated_at")
    actions = ("resend_invitation", "allow_replace_documents", "deny_replace_documents")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "invite_url": reverse("accounts:staff_invite")}
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Отправить приглашение повторно"), permissions=["change"])
    def resend_invitation(self, request, queryset):
        _run_for_each(self, request, queryset.select_related("user"),
                      lambda m: services.staff_invite_resend(actor=request.user, user=m.user),
                      _("Приглашений отправлено: %(count)d."))

    @admin.action(description=_("Разрешить заменять документы гражданина"), permissions=["change"])
    def allow_replace_documents(self, request, queryset):
        return self._replace_documents(request, queryset, allowed=True)

    @admin.action(description=_("Запретить заменять документы гражданина"), permissions=["change"])
    def deny_replace_documents(self, request, queryset):
        return self._replace_documents(request, queryset, allowed=False)

    def _replace_documents(self, request, queryset, *, allowed: bool):
        """An intermediate page asks for the basis (the official letter), then the service runs."""
        form = ReplaceDocumentsActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            _run_for_each(self, request, queryset.select_related("user", "organization"),
                          lambda m: services.membership_set_replace_documents(
                              actor=request.user, membership=m, allowed=allowed, comment=comment),
                          _("Изменено членств: %(count)d."))
            return None
        return TemplateResponse(request, "admin/accounts/membership/replace_documents.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "memberships": queryset.select_related("user", "organization"), "allowed": allowed,
            "action": request.POST.get("action"), "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "title": _("Разрешить заменять документы гражданина") if allowed
            else _("Запретить заменять документы гражданина")})


# Campaigns, regions ---------------------------------------------------------------------------

@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "national_project", "year", "starts_on", "ends_on", "is_active")
    list_filter = ("national_project", "year", "is_active")
    search_fields = ("title", "code")


class CampaignParticipationEventInline(ReadOnlyInline):
    model = CampaignParticipationEvent
    fields = ("created_at", "actor", "transition", "source", "target", "comment")


@admin.register(CampaignParticipation)
class CampaignParticipationAdmin(admin.ModelAdmin):
    list_display = ("partner", "campaign", "is_qualified", "order_mode", "order_mode_fixed_at")
    list_filter = ("campaign", "is_qualified", "order_mode")
    search_fields = ("partner__short_name", "partner__inn")
    list_select_related = ("partner", "campaign")
    autocomplete_fields = ("partner",)
    # The order mode is chosen once through the actions below (a service), never typed in (§4.2).
    readonly_fields = ("order_mode", "order_mode_fixed_at")
    inlines = [CampaignParticipationEventInline]
    actions = ["fix_manual_mode", "fix_automatic_mode"]

    @admin.action(description=_("Закрепить ручной режим приказов"), permissions=["change"])
    def fix_manual_mode(self, request, queryset):
        self._fix_mode(request, queryset, CampaignParticipation.OrderMode.MANUAL)

    @admin.action(description=_("Закрепить автоматический режим приказов"), permissions=["change"])
    def fix_automatic_mode(self, request, queryset):
        self._fix_mode(request, queryset, CampaignParticipation.OrderMode.AUTOMATIC)

    def _fix_mode(self, request, queryset, mode):
        _run_for_each(self, request, queryset.select_related("partner"),
                      lambda p: services.participation_set_order_mode(actor=request.user, participation=p,
                                                                      mode=mode),
                      _("Режим приказов закреплён: %(count)d."))


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


# One-time links and history (read-only) -------------------------------------------------------

@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose", "created_at", "expires_at", "used_at", "revoked_at")
    list_filter = ("purpose",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "purpose", "created_at", "expires_at", "used_at", "revoked_at")  # never the hash
    readonly_fields = fields
    date_hierarchy = "created_at"


@admin.register(UserEvent)
class UserEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "event", "actor", "comment")
    list_filter = ("transition",)
    search_fields = ("subject__email", "subject__last_name", "comment")
    list_select_related = ("subject", "actor")
    fields = ("created_at", "subject", "transition", "actor", "comment")
    readonly_fields = fields
    date_hierarchy = "created_at"

    @admin.display(description=_("действие"), ordering="transition")
    def event(self, obj):
        return EVENT_LABELS.get(obj.transition, obj.transition)
