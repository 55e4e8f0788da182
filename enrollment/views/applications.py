"""The partner's and reviewers' application pages: the configurable list (the work queue), the
application page in blocks, the side-by-side document check, and one view per step that calls one
service. Files are served only from here, after the application was fetched through core.access:
whoever may not see it gets 404; whoever sees it but may not act gets 403.

Scans are previewed next to the entered data: images as <img>, PDFs in a same-origin <iframe>.
The site forbids framing (X-Frame-Options DENY, CSP frame-ancestors 'none'), so the inline preview
view alone answers with SAMEORIGIN and `frame-ancestors 'self'` (and `object-src 'self'`, which the
browser's PDF viewer needs); it serves only the three checked scan types, with nosniff.
"""
import functools
from html import escape

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.access import get_for_user_or_404, require
from documents.selectors import download_filename
from documents.views import document_response, file_response
from enrollment import selectors
from enrollment.forms import (
    ApplicationFilterForm,
    CitizenDataForm,
    ColumnSetForm,
    DocumentCheckForm,
    DocumentReplaceForm,
    QualificationForm,
    ScanUploadForm,
    WithdrawalDecisionForm,
)
from enrollment.models import ApplicationBlank, ApplicationColumnSet, ApplicationDocument
from enrollment.permissions import (
    is_application_partner,
    may_replace_documents,
    may_see_blanks,
    may_see_document,
    may_see_personal_files,
    may_send_messages,
    may_view_applications,
)
from enrollment.services import blanks, checks, qualifications, staff, withdrawals

PAGE_SIZE = 50
PREVIEW_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _get_application(request, pk):
    """An application the user may see on the staff side; citizens use their cabinet (404 here)."""
    if not may_view_applications(request.user):
        raise Http404
    return get_for_user_or_404(selectors.application_detail_queryset(), request.user, pk=pk)


def _get_document(request, pk):
    """A document and its application; 404 unless the user sees both (reviewers: signed papers only)."""
    document = get_object_or_404(selectors.document_queryset(), pk=pk)
    application = _get_application(request, document.application_id)
    if not may_see_document(request.user, application, document.kind):
        raise Http404
    return document, application


def _run(request, call, success: str, url: str):
    """Run one service call; a refusal becomes an error message and nothing changes."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect(url)


# The list -------------------------------------------------------------------------------------

def _columns(request) -> list[str]:
    """The columns asked for (`cols`), else those of a saved set (`set`), else the default six."""
    if request.GET.getlist("cols"):
        return selectors.column_keys(request.GET.getlist("cols"))
    set_id = request.GET.get("set", "")
    if set_id.isdigit():
        saved = selectors.column_sets_for(request.user).filter(pk=set_id).first()
        if saved is not None:
            return selectors.column_keys(saved.columns)
    return list(selectors.DEFAULT_COLUMNS)


class _CountedPaginator(Paginator):
    """A paginator told its count: the status counters already hold it, so no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._count = count

    @property
    def count(self) -> int:
        return self._count


# A marker pk: the detail URL is reversed once per page with it, then split around it.
_PK_SLOT = 9_876_543_210_123


@functools.lru_cache(maxsize=8)
def _labels(language: str) -> dict:
    """What every page of the list translates, once per language (the catalogues do not change
    while the process runs): the column headers, and the status and yes/no cells, escaped."""
    return {
        "columns": {key: str(column.label) for key, column in selectors.COLUMNS.items()},
        "statuses": {code: escape(str(label)) for code, label in selectors.STATUS_LABELS.items()},
        "yes_no": {True: escape(_("да")), False: escape(_("нет"))},
    }


def _cell_renderers(columns) -> list:
    """Per column, application -> the cell's HTML. Built in Python rather than by an `{% if %}`
    chain and an include per cell in the template (most of the page's rendering, 50 rows × 6
    columns); what every row shares is worked out once, as the export does (enrollment.exports.
    export_cells): the detail URL per page, the translated labels per language, not a `reverse()`
    and a translation lookup per row."""
    head, tail = (escape(part) for part in reverse("enrollment:application_detail", args=[_PK_SLOT])
                  .split(str(_PK_SLOT)))
    labels = _labels(get_language())
    statuses, yes_no = labels["statuses"], labels["yes_no"]

    def renderer(column):
        cell = column.cell
        if column.key == "number":
            return lambda a: f'<a href="{head}{a.pk}{tail}">{escape(str(cell(a)))}</a>'
        if column.key == "status":
            return lambda a: _status_badge(a.status, statuses.get(a.status))
        if column.key == "active":
            return lambda a: yes_no[bool(a.is_active)]
        if column.key == "submitted":
            return lambda a: _moment(cell(a))
        return lambda a: _text(cell(a))

    return [renderer(column) for column in columns]


def _status_badge(status: str, label: str | None) -> str:
    """partials/status_badge.html's markup; `label` already escaped (None: the code stands in)."""
    return f'<span class="badge status-{escape(str(status))}">{label or escape(str(status))}</span>'


def _text(value) -> str:
    """`conditional_escape(value or "—")`, without its lazy-argument checks (300 cells a page)."""
    if not value:
        return "—"
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _moment(value) -> str:
    return date_format(localtime(value), "d.m.Y H:i") if value else "—"


def _rows_html(applications, columns) -> str:
    """The table's rows as one string (the markup of the former per-row, per-cell template loop)."""
    renderers = _cell_renderers(columns)
    return mark_safe("\n".join(  # noqa: S308 — every value is escaped by its renderer
        "<tr>" + "".join(f"<td>{render(a)}</td>" for render in renderers) + "</tr>" for a in applications))


def _counters_html(request, counts: list[dict], current: str) -> str:
    """The counters that have applications (and the chosen status's), as the list's items: a link
    to the list of that status (`{% querystring status=… page=None %}`, the request's parameters
    copied once) around its badge (partials/status_badge.html's markup) and its count."""
    params = request.GET.copy()
    params.pop("page", None)
    statuses = _labels(get_language())["statuses"]
    items = []
    for item in counts:
        if item["count"] or item["status"] == current:
            params["status"] = item["status"]
            chosen = ' aria-current="true"' if item["status"] == current else ""
            items.append(
                f'<li><a href="{escape(f"?{params.urlencode()}")}"{chosen}> '
                f'{_status_badge(item["status"], statuses.get(item["status"]))} '
                f'<span class="count">{localize(item["count"])}</span></a></li>')
    return mark_safe("\n".join(items))  # noqa: S308 — every value is escaped above


@require_safe
def application_list(request):
    """The applications the user may see: columns of their choice with per-column search, status
    and cohort filters, global search, counters per status, sorting, pages of 50, CSV export."""
    require(may_view_applications(request.user))
    form = ApplicationFilterForm(request.GET or None, cohorts=selectors.cohort_filter_choices(request.user))
    filters = form.filters()
    keys = _columns(request)
    columns = [selectors.COLUMNS[key] for key in keys]
    base = selectors.application_base(user=request.user, search=filters["search"], cohort=filters["cohort"],
                                      column_search=filters["column_search"])
    totals = selectors.application_status_totals(base)
    status = filters["status"]
    page = _CountedPaginator(selectors.application_rows(base, status=status, sort=filters["sort"], columns=columns),
                             PAGE_SIZE, count=totals.get(status, 0) if status else sum(totals.values())
                             ).get_page(request.GET.get("page"))
    applications = list(page.object_list)
    labels = _labels(get_language())["columns"]
    counts = selectors.application_status_counts(totals=totals)
    form.offer_cohorts()
    return render(request, "enrollment/application_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "rows": [{"application": a} for a in applications], "rows_html": _rows_html(applications, columns),
        "columns": [{"key": c.key, "label": labels[c.key], "search": filters["column_search"].get(c.key, "")}
                    for c in columns],
        "all_columns": [{"key": key, "label": label, "chosen": key in keys} for key, label in labels.items()],
        "column_sets": selectors.column_sets_for(request.user), "counts": counts,
        "counters_html": _counters_html(request, counts, status),
        "current_status": status, "sort": filters["sort"], "cohort": filters["cohort"],
        "can_message": may_send_messages(request.user),
    })


@require_POST
def column_set_save(request):
    require(may_view_applications(request.user))
    form = ColumnSetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Укажите название и отметьте хотя бы одну колонку."))
        return redirect("enrollment:application_list")
    column_set = staff.column_set_save(user=request.user, name=form.cleaned_data["name"],
                                       columns=form.cleaned_data["cols"])
    messages.success(request, _("Набор колонок «%(name)s» сохранён.") % {"name": column_set.name})
    return redirect(reverse("enrollment:application_list") + f"?set={column_set.pk}")


@require_POST
def column_set_delete(request, pk):
    column_set = get_object_or_404(ApplicationColumnSet, pk=pk, user=request.user)
    staff.column_set_delete(user=request.user, column_set=column_set)
    messages.success(request, _("Набор колонок «%(name)s» удалён.") % {"name": column_set.name})
    return redirect("enrollment:application_list")


# The application page -------------------------------------------------------------------------

@require_safe
def application_detail(request, pk):
    """The application in blocks: application, training, personal data, scans, blanks, withdrawal
    requests, qualification document, history; the actions computed in enrollment.selectors."""
    application = _get_application(request, pk)
    context = selectors.application_page_context(application, request.user)
    context["contract_form"] = ScanUploadForm(prefix="contract")
    return render(request, "enrollment/application_detail.html", context)


@sensitive_post_parameters("passport_series", "passport_number", "passport_issued_by", "passport_department_code",
                           "snils", "inn", "phone", "extra_phone")
@require_http_methods(["GET", "HEAD", "POST"])
def application_edit(request, pk):
    """The partner corrects the citizen's data until the enrolment documents are approved."""
    application = _get_application(request, pk)
    actions = selectors.application_actions(application, request.user)
    require(actions.check)
    if not actions.edit_data:
        messages.error(request, _("Данные гражданина исправляются только до одобрения документов на зачисление."))
        return redirect(application)
    form = CitizenDataForm(request.POST or None, instance=application.citizen)
    if request.method == "POST" and form.is_valid():
        return _run(request, lambda: staff.citizen_data_correct(application=application, actor=request.user,
                                                                data=form.changed_values()),
                    _("Данные гражданина сохранены."), application.get_absolute_url() + "#personal")
    return render(request, "enrollment/application_edit.html", {"application": application, "form": form})


# Documents ------------------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def document_check(request, pk):
    """The scan next to the data the citizen entered; approve, or reject with a comment."""
    document, application = _get_document(request, pk)
    require(is_application_partner(request.user, application))
    form = DocumentCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        done = _("Документ подтверждён.") if approve else _("Документ отклонён, гражданин увидит комментарий.")
        return _run(request, lambda: checks.document_check(document=document, actor=request.user, approve=approve,
                                                           comment=form.cleaned_data["comment"]),
                    done, _next_to_check(application, document))
    return render(request, "enrollment/application_document_check.html", {
        "application": application, "citizen": application.citizen, "document": document, "form": form,
        "preview_url": reverse("enrollment:document_preview", args=[document.pk]),
        "is_image": document.content_type.startswith("image/"), "is_pdf": document.content_type == "application/pdf",
        "blank": ApplicationBlank.objects.select_related("document").filter(
            application=application, kind=document.kind).first() if may_see_blanks(request.user, application) else None,
        "versions": application.documents.filter(kind=document.kind).select_related("uploaded_by", "checked_by"),
    })


def _next_to_check(application, document) -> str:
    """After a decision: the application's next document waiting for a check, else its page."""
    following = (application.documents.filter(is_current=True, status__in=[
        ApplicationDocument.Status.NEW, ApplicationDocument.Status.OVERDUE]).exclude(pk=document.pk)
        .order_by("kind").first())
    if following is not None:
        return reverse("enrollment:document_check", args=[following.pk])
    return application.get_absolute_url() + "#documents"


def _document_filename(document) -> str:
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(document.content_type, "bin")
    return download_filename(f"{document.application.rr_number} — {document.get_kind_display()} — "
                             f"версия {document.version}", extension)


@require_safe
def document_file(request, pk):
    """A scan as a download."""
    document, _application = _get_document(request, pk)
    response = file_response(document.file, _document_filename(document))
    if document.content_type in PREVIEW_TYPES:
        response["Content-Type"] = document.content_type
    return response


@require_safe
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"], "object-src": ["'self'"]})
def document_preview(request, pk):
    """A scan shown inline (the check page's frame or image); only the three checked scan types."""
    document, _application = _get_document(request, pk)
    if document.content_type not in PREVIEW_TYPES or not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=document.content_type, as_attachment=False,
                            filename=_document_filename(document))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def document_replace(request, pk):
    """Staff who may replace citizen documents upload a new version of one (logged, old kept)."""
    application = _get_application(request, pk)
    require(may_replace_documents(request.user, application))
    form = DocumentReplaceForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            staff.document_replace(application=application, kind=form.cleaned_data["kind"], actor=request.user,
                                   files=form.cleaned_data["files"], reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("files", error)
        else:
            messages.success(request, _("Документ заменён: новая версия ждёт проверки, прежняя сохранена."))
            return redirect(application.get_absolute_url() + "#documents")
    return render(request, "enrollment/application_document_replace.html", {"application": application, "form": form})


@require_POST
def all_party_contract_upload(request, pk):
    application = _get_application(request, pk)
    require(is_application_partner(request.user, application))
    form = ScanUploadForm(request.POST, request.FILES, prefix="contract")
    if not form.is_valid():
        messages.error(request, _("Выберите файл договора, подписанного всеми сторонами."))
        return redirect(application.get_absolute_url() + "#documents")
    return _run(request, lambda: staff.all_party_contract_upload(application=application, actor=request.user,
                                                                 files=form.cleaned_data["files"]),
                _("Договор, подписанный всеми сторонами, загружен."), application.get_absolute_url() + "#documents")


# Blanks ---------------------------------------------------------------------------------------

@require_safe
def blank_file(request, pk):
    """A generated blank's PDF: never for employment-service reviewers (unsigned papers)."""
    blank = get_object_or_404(ApplicationBlank.objects.select_related("document"), pk=pk)
    application = _get_application(request, blank.application_id)
    if not may_see_blanks(request.user, application):
        raise Http404
    return document_response(blank.document)


@require_POST
def blanks_regenerate(request, pk):
    application = _get_application(request, pk)
    require(is_application_partner(request.user, application))
    return _run(request, lambda: blanks.blanks_regenerate(application=application, actor=request.user),
                _("Бланки поставлены на формирование заново."), application.get_absolute_url() + "#blanks")


# Withdrawal requests --------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def withdrawal_create(request, pk):
    """Staff who may replace citizen documents file a signed withdrawal request on the citizen's behalf."""
    application = _get_application(request, pk)
    require(may_replace_documents(request.user, application))
    form = ScanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawals.withdrawal_request_file(application=application, files=form.cleaned_data["files"],
                                                actor=request.user)
        except ValidationError as error:
            form.add_error("files", error)
        else:
            messages.success(request, _("Заявление на отчисление подано от имени гражданина."))
            return redirect(application.get_absolute_url() + "#withdrawals")
    return render(request, "enrollment/withdrawal_create.html", {
        "application": application, "form": form, "is_open": withdrawals.withdrawal_open(application)})


@require_POST
def withdrawal_decide(request, pk):
    withdrawal = get_object_or_404(selectors.withdrawal_queryset(), pk=pk)
    application = _get_application(request, withdrawal.application_id)
    require(is_application_partner(request.user, application))
    form = WithdrawalDecisionForm(request.POST)
    url = application.get_absolute_url() + "#withdrawals"
    if not form.is_valid():
        messages.error(request, _("Выберите решение."))
        return redirect(url)
    approve = form.cleaned_data["decision"] == "approve"
    return _run(request, lambda: withdrawals.withdrawal_decide(request=withdrawal, actor=request.user, approve=approve,
                                                               comment=form.cleaned_data["comment"]),
                _("Заявление одобрено.") if approve else _("Заявление отклонено."), url)


@require_safe
def withdrawal_file(request, pk):
    withdrawal = get_object_or_404(selectors.withdrawal_queryset(), pk=pk)
    application = _get_application(request, withdrawal.application_id)
    if not may_see_personal_files(request.user, application):
        raise Http404
    extension = withdrawal.file.name.rsplit(".", 1)[-1] if withdrawal.file else "pdf"
    return file_response(withdrawal.file, download_filename(
        f"{application.rr_number} — заявление на отчисление", extension))


# Qualification documents ----------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def qualification_edit(request, pk):
    """The partner enters the qualification document's data and uploads its scan."""
    application = _get_application(request, pk)
    actions = selectors.application_actions(application, request.user)
    require(actions.check)
    existing = getattr(application, "qualification_document", None)
    initial = {f: getattr(existing, f) for f in qualifications.FIELDS} if existing else {}
    form = QualificationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            qualifications.qualification_enter(
                application=application, actor=request.user, series=data["series"], number=data["number"],
                registration_number=data["registration_number"], issued_on=data["issued_on"], scan_files=data["scan"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Данные документа о квалификации сохранены."))
            return redirect(application.get_absolute_url() + "#qualification")
    return render(request, "enrollment/qualification_edit.html", {
        "application": application, "form": form, "document": existing, "is_open": actions.qualification,
        "has_contract": qualifications.has_all_party_contract(application)})


@require_safe
def qualification_file(request, pk):
    application = _get_application(request, pk)
    document = getattr(application, "qualification_document", None)
    if document is None or not document.scan or not may_see_personal_files(request.user, application):
        raise Http404
    extension = document.scan.name.rsplit(".", 1)[-1]
    return file_response(document.scan, download_filename(
        f"{application.rr_number} — документ о квалификации", extension))
