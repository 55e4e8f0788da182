"""Read-only admin of the audit trail, consents, blockings, destruction acts and access requests:
the security officer looks and searches; nothing is edited or deleted by hand (the models refuse)."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin
from privacy.models import AuditEvent, Blocking, ConsentRecord, DestructionEvidence, SubjectAccessRequest


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
    list_display = ("subject_id", "received_on", "due_on", "extended_due_on", "answered_at", "channel")
    list_filter = ("channel", "answered_at")
    search_fields = ("=subject_id",)
    readonly_fields = ("due_on",)
