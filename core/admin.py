"""Admin for the building blocks: the outbox, export jobs and feed import runs (read-only, for
support) and the production-calendar corrections (edited by admins)."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.mail import outbox_requeue
from core.models import ExportJob, ImportRun, OutgoingEmail, WorkingDayOverride


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: support may look, never add or edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("to", "subject")
    readonly_fields = ("to", "subject", "status", "attempts", "last_error", "created_at", "sent_at",
                       "next_attempt_at", "body_text", "body_html")
    fields = readonly_fields
    actions = ("resend",)

    def has_resend_permission(self, request):
        return request.user.has_perm("core.change_outgoingemail")

    @admin.action(description=_("Отправить повторно"), permissions=["resend"])
    def resend(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        queued = outbox_requeue(email_ids=selected)
        self.message_user(request, _("Поставлено в очередь на отправку писем: %(count)d.") % {"count": queued},
                          messages.SUCCESS)
        if skipped := len(selected) - queued:
            self.message_user(request, _("Пропущены письма, которые не в статусе «не отправлено»: %(count)d.")
                              % {"count": skipped}, messages.WARNING)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "title", "owner", "format", "status", "done_rows", "expires_at")
    list_filter = ("status", "format", "kind", "created_at")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    search_fields = ("title", "kind", "owner__email", "owner__last_name")
    readonly_fields = ("owner", "kind", "title", "params", "format", "status", "total_rows", "done_rows",
                       "file", "error", "created_at", "started_at", "finished_at", "expires_at")
    fields = readonly_fields


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Who delivered which feed file and what it changed, with its row-error report (personal data
    masked). Only feed importers (operator reviewers, ops) have the view permission; the report
    of a run is never shown to partners (they have no admin)."""

    list_display = ("started_at", "source", "kind", "file_name", "status", "created", "updated", "unchanged",
                    "rejected", "initiator_label")
    list_filter = ("source", "kind", "status", "started_at")
    list_select_related = ("initiator",)
    date_hierarchy = "started_at"
    search_fields = ("file_name", "sha256", "initiator_label")
    readonly_fields = ("source", "kind", "file_name", "sha256", "status", "duplicate_of", "initiator",
                       "initiator_label", "started_at", "finished_at", "rows", "created", "updated", "unchanged",
                       "rejected", "counts", "message", "errors_total", "errors")
    fields = readonly_fields


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working", "note")
    list_filter = ("is_working",)
    date_hierarchy = "date"
    search_fields = ("note",)
