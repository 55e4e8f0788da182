"""Read-only admin of the audit trail, consents, blockings, destruction acts and access requests:
the security officer looks and searches; nothing is edited or deleted by hand (the models refuse)."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from privacy.models import AuditEvent, Blocking, ConsentRecord, DestructionEvidence, SubjectAccessRequest
from privacy.subject_access import request_answer, request_deadlines


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "role", "action", "object_type", "object_id", "subject_id", "ip")
    list_filter = ("action", "role", "object_type")
    search_fields = ("actor_label", "object_id", "request_id", "=subject_id")
    date_hierarchy = "created_at"


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject_id", "purpose", "action", "text_version", "ip")
    list_filter = ("purpose", "action", "text_version")
    search_fields = ("=subject_id", "text_sha256")


@admin.register(Blocking)
class BlockingAdmin(ReadOnlyAdmin):
    list_display = ("subject_id", "blocked_at", "destroy_after", "legal_hold", "destroyed_at")
    list_filter = ("destroyed_at",)
    search_fields = ("=subject_id",)


@admin.register(DestructionEvidence)
class DestructionEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject_masked", "reason", "performed_by_label", "extract")
    list_filter = ("system", "reason")
    search_fields = ("subject_hash", "subject_masked", "=subject_id")


@admin.register(SubjectAccessRequest)
class SubjectAccessRequestAdmin(admin.ModelAdmin):
    """The operator registers requests received by letter or e-mail here; due days are computed
    (privacy.subject_access), the status moves only by answering or by the nightly escalation."""

    list_display = ("subject_id", "kind", "status", "received_on", "due_on", "extended_due_on", "destroy_by",
                    "answered_at", "channel")
    list_filter = ("kind", "status", "channel")
    search_fields = ("=subject_id",)
    readonly_fields = ("status", "due_on", "extended_due_on", "destroy_by", "answered_at")
    fields = ("subject_id", "kind", "received_on", "channel", "note", *readonly_fields)
    actions = ["mark_answered"]

    def save_model(self, request, obj, form, change):
        obj.due_on, obj.destroy_by = request_deadlines(obj.kind, obj.received_on)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Отметить: ответ дан"), permissions=["change"])
    def mark_answered(self, request, queryset):
        answered = 0
        for subject_request in queryset.exclude(status=SubjectAccessRequest.Status.ANSWERED):
            request_answer(request=subject_request)
            answered += 1
        self.message_user(request, _("Отмечено запросов: %(count)s.") % {"count": answered})
