"""Admin for the money side: training contracts, add-on agreements and cost proposals.

Everything written by a service is read-only here (status, quota reservations, documents,
signatories); the actions call the same services as the cabinet. Signature uploads, registration
and the add-on signing date are entered on the cabinet page, linked from each row.
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyInline, _run_for_each
from programs import selectors_contracts as selectors
from programs.models import (
    AddOnAgreement,
    AddOnAgreementEvent,
    CostProposal,
    CostProposalEvent,
    TrainingContract,
    TrainingContractEvent,
)
from programs.services import contracts as services

EVENT_FIELDS = ("created_at", "actor", "transition", "source", "target", "comment")


class _EventInline(ReadOnlyInline):
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TrainingContractEventInline(_EventInline):
    model = TrainingContractEvent


class AddOnAgreementEventInline(_EventInline):
    model = AddOnAgreementEvent


class CostProposalEventInline(_EventInline):
    model = CostProposalEvent


class _ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows are created and changed by services only: the admin looks and runs actions."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + list(self.extra_readonly)

    extra_readonly = ("cabinet_link",)

    @admin.display(description=_("в кабинете"))
    def cabinet_link(self, obj):
        return format_html('<a href="{}">{}</a>', selectors.detail_url(obj), _("открыть"))


@admin.register(TrainingContract)
class TrainingContractAdmin(_ServiceWrittenAdmin):
    list_display = ("number", "contract_date", "partner", "campaign", "status", "quota_money", "reserved_money",
                    "quota_seats", "reserved_seats", "cabinet_link")
    list_filter = ("status", "campaign")
    search_fields = ("number", "partner__short_name", "partner__name", "partner__inn", "registration_number")
    list_select_related = ("partner", "campaign")
    date_hierarchy = "contract_date"
    inlines = (TrainingContractEventInline,)
    actions = ("regenerate_document",)

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "programs"]

    @admin.action(description=_("Сформировать PDF договора заново"), permissions=["change"])
    def regenerate_document(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda contract: services.contract_document_regenerate(actor=request.user, contract=contract),
                      _("Договоров поставлено на формирование: %(count)d."))


@admin.register(AddOnAgreement)
class AddOnAgreementAdmin(_ServiceWrittenAdmin):
    list_display = ("__str__", "contract", "status", "signed_on", "cabinet_link")
    list_filter = ("status", "contract__campaign")
    search_fields = ("contract__number", "contract__partner__short_name", "contract__partner__inn")
    list_select_related = ("contract__partner",)
    inlines = (AddOnAgreementEventInline,)
    actions = ("generate", "regenerate_document")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "programs"]

    @admin.action(description=_("Сформировать соглашение (с выбранными программами)"), permissions=["change"])
    def generate(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda addon: services.addon_generate(actor=request.user, addon=addon),
                      _("Соглашений поставлено на формирование: %(count)d."))

    @admin.action(description=_("Сформировать PDF соглашения заново"), permissions=["change"])
    def regenerate_document(self, request, queryset):
        _run_for_each(self, request, queryset,
                      lambda addon: services.addon_document_regenerate(actor=request.user, addon=addon),
                      _("Соглашений поставлено на формирование: %(count)d."))


class RejectActionForm(forms.Form):
    comment = forms.CharField(label=_("Причина отклонения (её увидит партнёр)"),
                              widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


@admin.register(CostProposal)
class CostProposalAdmin(_ServiceWrittenAdmin):
    list_display = ("program", "contract", "price", "status", "valid_from", "created_at", "cabinet_link")
    list_filter = ("status", "contract__campaign")
    search_fields = ("program__title", "contract__number", "contract__partner__short_name",
                     "contract__partner__inn")
    list_select_related = ("program", "contract")
    inlines = (CostProposalEventInline,)
    actions = ("approve", "reject")
    exclude = ("calculation_file",)  # served by the cabinet's permission-checked view, never a storage URL

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "calculation_file"]

    @admin.action(description=_("Согласовать"), permissions=["change"])
    def approve(self, request, queryset):
        _run_for_each(self, request, queryset.select_related("program"),
                      lambda proposal: services.cost_proposal_approve(actor=request.user, proposal=proposal),
                      _("Согласовано предложений: %(count)d."))

    @admin.action(description=_("Отклонить с комментарием"), permissions=["change"])
    def reject(self, request, queryset):
        form = RejectActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _run_for_each(self, request, queryset,
                          lambda proposal: services.cost_proposal_reject(
                              actor=request.user, proposal=proposal, comment=form.cleaned_data["comment"]),
                          _("Отклонено предложений: %(count)d."))
            return None
        return TemplateResponse(request, "programs/cost_proposal_reject_admin.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "proposals": queryset.select_related("program", "contract"), "action": request.POST.get("action"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME, "title": _("Отклонить предложения о стоимости")})
