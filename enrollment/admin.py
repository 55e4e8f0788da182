"""Admin for operator reviewers and ops: citizens, applications with their history and documents,
withdrawal requests and qualification documents. Everything here was written by a service and is
read-only; files open through the cabinet's permission-checked views, never a storage URL. The
actions call the same services as the partner's pages (support: recompute a status, render the
blanks again; ops: decide a withdrawal request). The applications list also carries the РР import
page (enrollment.admin_feed).
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline, _run_for_each
from enrollment.admin_feed import RRImportAdminMixin
from enrollment.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    Citizen,
    CitizenMessage,
    QualificationDocument,
    WithdrawalRequest,
)
from enrollment.permissions import may_support
from enrollment.services import blanks, checks, withdrawals
from privacy.admin_actions import AuditedActionsMixin
from privacy.masking import mask_snils

EVENT_FIELDS = ("created_at", "actor", "transition", "source", "target", "comment")


def _link(url: str, label) -> str:
    return format_html('<a href="{}">{}</a>', url, label)


class ApplicationEventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ApplicationDocumentInline(ReadOnlyInline):
    model = ApplicationDocument
    fields = ("kind", "version", "is_current", "status", "comment", "uploaded_at", "checked_by", "file_link")
    readonly_fields = fields
    ordering = ("kind", "-version")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_by")

    @admin.display(description=_("файл"))
    def file_link(self, obj):
        return _link(reverse("enrollment:document_file", args=[obj.pk]), _("скачать"))


@admin.register(Citizen)
class CitizenAdmin(AuditedActionsMixin, ReadOnlyAdmin):
    # PDN-10: the list shows the SNILS masked (the reviewer tells people apart by the last digits,
    # and searches by the full number); the citizen's page shows it in full.
    list_display = ("full_name", "snils_masked", "email", "birth_date", "region")
    list_filter = ("region", "work_status", "education_level")
    search_fields = ("snils", "last_name", "first_name", "email")
    list_select_related = ("region",)
    exclude = ("user",)

    @admin.display(description=_("СНИЛС"), ordering="snils")
    def snils_masked(self, obj):
        return mask_snils(obj.snils)


@admin.register(Application)
class ApplicationAdmin(AuditedActionsMixin, RRImportAdminMixin, ReadOnlyAdmin):
    list_display = ("rr_number", "citizen", "partner", "program", "status", "is_active", "submitted_at", "page_link")
    list_filter = ("status", "is_active", "partner", "region")
    search_fields = ("rr_number", "citizen__snils", "citizen__last_name", "citizen__first_name", "citizen__email")
    list_select_related = ("citizen", "partner", "program")
    date_hierarchy = "submitted_at"
    inlines = (ApplicationDocumentInline, ApplicationEventInline)
    actions = ("recompute", "regenerate_blanks")
    readonly_fields = ("page_link",)

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _link(obj.get_absolute_url(), _("открыть"))

    def has_support_permission(self, request):
        return may_support(request.user)

    @admin.action(description=_("Пересчитать статус по документам"), permissions=["support"])
    def recompute(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda application: checks.application_recompute(application=application, actor=request.user),
                      _("Заявок пересчитано: %(count)d."))

    @admin.action(description=_("Сформировать бланки на зачисление заново"), permissions=["support"])
    def regenerate_blanks(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda application: blanks.blanks_regenerate(
                          application=application, actor=request.user,
                          reason=str(_("Сформированы заново поддержкой"))),
                      _("Заявок с бланками, поставленными на формирование: %(count)d."))


@admin.register(ApplicationDocument)
class ApplicationDocumentAdmin(AuditedActionsMixin, ReadOnlyAdmin):
    list_display = ("application", "kind", "version", "is_current", "status", "uploaded_at", "checked_at", "file_link")
    list_filter = ("status", "kind", "is_current")
    search_fields = ("application__rr_number", "application__citizen__snils", "application__citizen__last_name")
    list_select_related = ("application",)
    exclude = ("file",)
    readonly_fields = ("file_link",)

    @admin.display(description=_("файл"))
    def file_link(self, obj):
        return _link(reverse("enrollment:document_file", args=[obj.pk]), _("скачать"))


class RejectWithdrawalForm(forms.Form):
    comment = forms.CharField(label=_("Причина отклонения (её увидит гражданин)"),
                              widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(AuditedActionsMixin, ReadOnlyAdmin):
    list_display = ("application", "status", "created_at", "decided_at", "has_expulsion_order", "file_link")
    list_filter = ("status", "has_expulsion_order")
    search_fields = ("application__rr_number", "application__citizen__snils", "application__citizen__last_name")
    list_select_related = ("application",)
    exclude = ("file",)
    readonly_fields = ("file_link",)
    actions = ("approve", "reject")

    @admin.display(description=_("скан"))
    def file_link(self, obj):
        return _link(reverse("enrollment:withdrawal_file", args=[obj.pk]), _("скачать"))

    def has_decide_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Одобрить"), permissions=["decide"])
    def approve(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda item: withdrawals.withdrawal_decide(request=item, actor=request.user, approve=True),
                      _("Одобрено заявлений: %(count)d."))

    @admin.action(description=_("Отклонить с комментарием"), permissions=["decide"])
    def reject(self, request, queryset):
        form = RejectWithdrawalForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _run_for_each(self, request, queryset,
                          lambda item: withdrawals.withdrawal_decide(
                              request=item, actor=request.user, approve=False, comment=form.cleaned_data["comment"]),
                          _("Отклонено заявлений: %(count)d."))
            return None
        return TemplateResponse(request, "enrollment/withdrawal_reject_admin.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "requests": queryset.select_related("application"), "action": request.POST.get("action"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME, "title": _("Отклонить заявления на отчисление")})


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(AuditedActionsMixin, ReadOnlyAdmin):
    list_display = ("application", "series", "number", "registration_number", "issued_on", "track_number")
    list_filter = ("issued_on", "application__partner")
    search_fields = ("number", "registration_number", "application__rr_number", "application__citizen__snils",
                     "application__citizen__last_name")
    list_select_related = ("application",)
    exclude = ("scan",)
    readonly_fields = ("page_link",)

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _link(reverse("enrollment:application_detail", args=[obj.application_id]) + "#qualification",
                     _("открыть"))


@admin.register(CitizenMessage)
class CitizenMessageAdmin(ReadOnlyAdmin):
    """«Отправленные» of every partner (written by the service only); the recipients with each
    e-mail's delivery are on the mailing's page in the cabinet (up to thousands of rows)."""

    list_display = ("created_at", "partner", "subject", "audience", "recipients_count", "sender")
    list_filter = ("partner", "created_at")
    search_fields = ("subject", "audience", "recipients__email", "recipients__citizen__last_name")
    list_select_related = ("partner", "sender")
    date_hierarchy = "created_at"
    exclude = ("idempotency_key",)
    readonly_fields = ("page_link",)

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _link(obj.get_absolute_url(), _("открыть"))
