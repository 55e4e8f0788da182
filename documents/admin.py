"""Generated documents and signatures in the admin: read-only, files one click away through the
permission-checked download views (never a storage URL)."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline
from documents.models import GeneratedDocument, Signature


def _download_link(url_name: str, obj, label) -> str:
    if not obj.file:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), label)


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = ("party", "original_name", "download", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    verbose_name_plural = _("электронные подписи")

    @admin.display(description=_("файл"))
    def download(self, obj):
        return _download_link("documents:signature_download", obj, _("скачать .sig"))


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "number", "status", "created_at", "rendered_at", "download")
    list_filter = ("status", "kind")
    search_fields = ("title", "number", "sha256")
    list_select_related = ("created_by",)
    fields = ("title", "kind", "number", "status", "download", "sha256", "error", "created_by", "created_at",
              "rendered_at")
    readonly_fields = fields
    date_hierarchy = "created_at"
    inlines = (SignatureInline,)

    @admin.display(description=_("файл"))
    def download(self, obj):
        return _download_link("documents:download", obj, _("скачать PDF"))


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("document", "party", "original_name", "uploaded_by", "uploaded_at", "download")
    list_filter = ("party", "document__kind")
    search_fields = ("document__title", "original_name", "sha256")
    list_select_related = ("document", "uploaded_by")
    fields = ("document", "party", "original_name", "download", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    date_hierarchy = "uploaded_at"

    @admin.display(description=_("файл"))
    def download(self, obj):
        return _download_link("documents:signature_download", obj, _("скачать .sig"))
