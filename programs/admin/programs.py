"""Admin of programs, cohorts, regional approvals, the comment thread and citizen categories.

Decisions (send, approve, reject, regional approval, РР marks) are made on the cabinet pages, which
call programs.services.programs; here statuses, Odin data and decisions are read-only, and
histories are shown inline. Programs and cohorts arrive from Odin, so they are never added here.
"""
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline
from programs import selectors
from programs.admin.odin import OdinImportAdminMixin
from programs.models import (
    CitizenCategory,
    Cohort,
    CohortEvent,
    Program,
    ProgramComment,
    ProgramEvent,
    RegionalApproval,
)

ODIN_FIELDS = ("odin_id", "is_national_project", "title", "short_title", "kind", "academic_hours", "distance_hours",
               "study_form", "odin_education_level", "odin_qualification")
PARTNER_FIELDS = ("implementation_form", "network_partner_name", "rr_direction", "rr_profession", "education_level",
                  "qualification_level", "with_internship", "resource_intensive", "citizen_categories",
                  "employer_info", "contact_email", "contact_phone")
APPROVAL_FIELDS = ("operator_approved_at", "operator_approved_by", "pending_odin_changes", "pending_odin_since")


class EventInline(ReadOnlyInline):
    fk_name = "subject"
    fields = ("created_at", "event", "source", "target", "actor", "comment")
    readonly_fields = fields
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("действие"))
    def event(self, obj):
        return selectors.EVENT_LABELS.get(obj.transition, obj.transition)


class ProgramEventInline(EventInline):
    model = ProgramEvent
    verbose_name_plural = _("история программы")


class RegionalApprovalInline(ReadOnlyInline):
    model = RegionalApproval
    fields = ("region", "status", "requested_at", "decided_at", "decided_by", "comment")
    readonly_fields = fields
    verbose_name_plural = _("согласование в регионах")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region", "decided_by")


class CohortInline(ReadOnlyInline):
    model = Cohort
    fields = ("odin_id", "start_date", "end_date", "max_students", "is_archived", "is_held")
    readonly_fields = fields
    show_change_link = True


@admin.register(Program)
class ProgramAdmin(OdinImportAdminMixin, admin.ModelAdmin):
    list_display = ("title", "odin_id", "partner", "kind", "status", "campaign", "operator_approved_at")
    list_filter = ("status", "kind", "campaign", ("partner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "short_title", "odin_id", "partner__inn", "partner__short_name")
    list_select_related = ("partner", "campaign")
    fieldsets = (
        (None, {"fields": ("campaign", "partner", "status")}),
        (_("Из Odin"), {"fields": ODIN_FIELDS}),
        (_("Заполняет партнёр"), {"fields": PARTNER_FIELDS}),
        (_("Согласование и изменения из Odin"), {"fields": APPROVAL_FIELDS}),
    )
    filter_horizontal = ("citizen_categories",)
    inlines = (RegionalApprovalInline, CohortInline, ProgramEventInline)

    def has_add_permission(self, request):
        return False  # programs come from Odin

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Support (superusers) may correct what the partner filled in; reviewers only look.
        fixed = ("campaign", "partner", "status", *ODIN_FIELDS, *APPROVAL_FIELDS)
        return fixed if request.user.is_superuser else (*fixed, *PARTNER_FIELDS)


class CohortEventInline(EventInline):
    model = CohortEvent
    verbose_name_plural = _("история потока")


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("__str__", "odin_id", "start_date", "end_date", "max_students", "is_archived", "is_held")
    list_filter = ("is_archived", "is_held", "program__campaign", "start_date")
    search_fields = ("odin_id", "program__title", "program__odin_id", "program__partner__inn")
    list_select_related = ("program",)
    readonly_fields = ("program", "odin_id", "start_date", "end_date", "max_students", "is_archived", "is_held",
                       "created_at", "updated_at")
    date_hierarchy = "start_date"
    inlines = (CohortEventInline,)

    def has_add_permission(self, request):
        return False  # cohorts come from Odin

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegionalApproval)
class RegionalApprovalAdmin(ReadOnlyAdmin):
    list_display = ("program", "region", "status", "requested_at", "decided_at", "decided_by")
    list_filter = ("status", "region", "program__campaign")
    search_fields = ("program__title", "program__odin_id", "program__partner__inn", "region__name")
    list_select_related = ("program", "region", "decided_by")


@admin.register(ProgramComment)
class ProgramCommentAdmin(ReadOnlyAdmin):
    list_display = ("program", "author", "created_at", "__str__")
    list_filter = ("created_at", "program__campaign")
    search_fields = ("text", "program__title", "program__odin_id", "author__email")
    list_select_related = ("program", "author")


class CategoryUseFilter(admin.SimpleListFilter):
    title = _("используется в программах")
    parameter_name = "used"

    def lookups(self, request, model_admin):
        return [("yes", _("да")), ("no", _("нет"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        used = Exists(Program.citizen_categories.through.objects.filter(citizencategory_id=OuterRef("pk")))
        return queryset.filter(used) if self.value() == "yes" else queryset.exclude(used)


@admin.register(CitizenCategory)
class CitizenCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")
    list_editable = ("position",)
    list_filter = (CategoryUseFilter,)
    search_fields = ("code", "name")
    ordering = ("position", "name")
