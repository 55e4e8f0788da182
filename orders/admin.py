"""Admin for operator reviewers and ops: orders with their scans, applications and history, and the
orders of applications (the РР re-keying lines). Everything here was written by a service and is
read-only; orders are never added or deleted here (nor anywhere: they are never deleted). Files open
through the orders pages' permission-checked views, never a storage URL.
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline
from orders.models import Order, OrderAssignment, OrderEvent, OrderScan

EVENT_FIELDS = ("created_at", "actor", "transition", "comment")


def _link(url: str, label) -> str:
    return format_html('<a href="{}">{}</a>', url, label)


class OrderScanInline(ReadOnlyInline):
    model = OrderScan
    fields = ("version", "is_current", "uploaded_at", "uploaded_by", "size", "file_link")
    readonly_fields = fields
    ordering = ("-version",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("файл"))
    def file_link(self, obj):
        return _link(reverse("orders:scan_file", args=[obj.pk]), _("скачать"))


class OrderAssignmentInline(ReadOnlyInline):
    model = OrderAssignment
    fields = ("application", "assigned_at", "assigned_by", "rr_entered_at", "rr_entered_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application", "assigned_by", "rr_entered_by")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "order_date", "kind", "partner", "cohort", "is_automatic", "rr_entered_at")
    list_filter = ("type", "basis", "is_automatic")
    search_fields = ("number", "partner__short_name")
    list_select_related = ("partner", "cohort__program")
    date_hierarchy = "order_date"
    exclude = ("document",)
    readonly_fields = ("page_link",)
    inlines = (OrderScanInline, OrderAssignmentInline, OrderEventInline)

    @admin.display(description=_("вид"), ordering="type")
    def kind(self, obj):
        return obj.kind_display

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _link(obj.get_absolute_url(), _("открыть"))


@admin.register(OrderAssignment)
class OrderAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("order", "application", "order_type", "assigned_at", "rr_entered_at")
    list_filter = ("order_type", ("rr_entered_at", admin.EmptyFieldListFilter))
    search_fields = ("order__number", "application__rr_number")
    list_select_related = ("order", "application")
