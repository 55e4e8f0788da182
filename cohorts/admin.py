"""Admin for operator reviewers and ops: the cohort's reporting documents — assignments, acts (with
their citizens, invoices and history), journal packages (with every version's files) and employment
reports. Everything here was written by a service and is read-only; reviewers act on the cohort page
(linked from each row), whose views call the services. Files open through the cohort pages'
permission-checked views, never a storage URL.
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline
from cohorts.models import (
    Act,
    ActEvent,
    ActInvoice,
    ActLine,
    Assignment,
    AssignmentEvent,
    EmploymentReport,
    EmploymentReportEvent,
    JournalFile,
    JournalPackage,
    ReportLine,
)

EVENT_FIELDS = ("created_at", "actor", "transition", "source", "target", "comment")


def _link(url: str, label) -> str:
    return format_html('<a href="{}">{}</a>', url, label)


def _cohort_link(cohort_id: int) -> str:
    return _link(reverse("cohorts:cohort_detail", args=[cohort_id]), _("открыть"))


class _EventInline(ReadOnlyInline):
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class _CohortDocumentAdmin(ReadOnlyAdmin):
    """Rows of one cohort: a link to the cohort page, where reviewers act."""

    exclude = ("document", "archive")
    readonly_fields = ("page_link", "pdf_link")

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _cohort_link(self.cohort_id_of(obj))

    def cohort_id_of(self, obj) -> int:
        return obj.cohort_id

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if obj.document.status != "ready":
            return obj.document.get_status_display()
        return _link(reverse(self.pdf_url_name, args=[obj.pk]), _("скачать"))


# The assignment -------------------------------------------------------------------------------

class AssignmentEventInline(_EventInline):
    model = AssignmentEvent


@admin.register(Assignment)
class AssignmentAdmin(_CohortDocumentAdmin):
    list_display = ("number", "assignment_date", "partner", "cohort", "status", "citizens", "amount", "page_link")
    list_filter = ("status", "cohort__program__campaign")
    search_fields = ("number", "partner__short_name", "partner__inn", "cohort__odin_id", "cohort__program__title")
    list_select_related = ("partner", "cohort__program")
    date_hierarchy = "assignment_date"
    inlines = (AssignmentEventInline,)
    pdf_url_name = "cohorts:assignment_file"


# Acts -----------------------------------------------------------------------------------------

class ActLineInline(ReadOnlyInline):
    model = ActLine
    fields = ("application", "price")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")


class ActInvoiceInline(ReadOnlyInline):
    model = ActInvoice
    fields = ("version", "uploaded_at", "uploaded_by", "size", "content_type")
    readonly_fields = fields
    ordering = ("-version",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class ActEventInline(_EventInline):
    model = ActEvent


@admin.register(Act)
class ActAdmin(_CohortDocumentAdmin):
    list_display = ("number", "partner", "cohort", "status", "amount", "review_due", "answer_due", "act_date",
                    "page_link")
    list_filter = ("status", ("review_due", admin.DateFieldListFilter), "cohort__program__campaign")
    search_fields = ("number", "partner__short_name", "partner__inn", "cohort__odin_id", "cohort__program__title",
                     "lines__application__rr_number")
    list_select_related = ("partner", "cohort__program")
    inlines = (ActLineInline, ActInvoiceInline, ActEventInline)
    readonly_fields = ("page_link", "pdf_link", "invoice_link")
    pdf_url_name = "cohorts:act_file"

    @admin.display(description=_("счёт"))
    def invoice_link(self, obj):
        if not obj.invoices.exists():
            return "—"
        return _link(reverse("cohorts:act_invoice", args=[obj.pk]), _("скачать последний"))


# The journal package --------------------------------------------------------------------------

class JournalFileInline(ReadOnlyInline):
    model = JournalFile
    fields = ("version", "kind", "position", "uploaded_at", "uploaded_by", "size", "file_link")
    readonly_fields = fields
    ordering = ("-version", "kind", "position")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("файл"))
    def file_link(self, obj):
        return _link(reverse("cohorts:journal_file", args=[obj.pk]), _("скачать"))


@admin.register(JournalPackage)
class JournalPackageAdmin(ReadOnlyAdmin):
    list_display = ("cohort", "partner", "version", "rejected_at", "updated_at", "page_link")
    list_filter = (("rejected_at", admin.EmptyFieldListFilter), "cohort__program__campaign")
    search_fields = ("partner__short_name", "partner__inn", "cohort__odin_id", "cohort__program__title")
    list_select_related = ("partner", "cohort__program")
    readonly_fields = ("page_link",)
    inlines = (JournalFileInline,)

    @admin.display(description=_("в кабинете"))
    def page_link(self, obj):
        return _cohort_link(obj.cohort_id)


# Employment reports ---------------------------------------------------------------------------

class ReportLineInline(ReadOnlyInline):
    model = ReportLine
    fields = ("application",)
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")


class EmploymentReportEventInline(_EventInline):
    model = EmploymentReportEvent


@admin.register(EmploymentReport)
class EmploymentReportAdmin(_CohortDocumentAdmin):
    list_display = ("number", "act", "partner", "status", "created_at", "page_link")
    list_filter = ("status", "act__cohort__program__campaign")
    search_fields = ("number", "act__number", "partner__short_name", "partner__inn", "act__cohort__odin_id")
    list_select_related = ("act", "partner")
    inlines = (ReportLineInline, EmploymentReportEventInline)
    pdf_url_name = "cohorts:report_file"

    def cohort_id_of(self, obj) -> int:
        return obj.act.cohort_id
