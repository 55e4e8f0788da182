"""The orders pages (namespace "orders"): the list, creating and editing an order, its page with the
bulk assignment, its scan, the РР re-keying dashboard ("Работа с приказами") and the citizen's
download of an order from "Мои документы".

Every order is fetched through core.access: the pages are for partner staff, the operator and
auditors (others 403); an order of another partner is a 404; who sees an order but is not its
partner's staff gets 403 on anything that changes it. Each POST calls one service; a refusal comes
back as a form error or an error message and changes nothing.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from core.access import filter_for_user, get_for_user_or_404, require
from documents.selectors import download_filename
from documents.views import document_response, file_response
from enrollment.models import Application
from orders import selectors
from orders.exports import open_lines_csv
from orders.forms import OrderCreateForm, OrderEditForm, OrderFilterForm, OrderScanForm
from orders.models import Order, OrderScan
from orders.permissions import is_order_partner, may_create_orders, may_enter_on_portal, may_view_orders
from orders.services import orders as services
from orders.services import portal

PAGE_SIZE = 50
EVENT_LABELS = {
    "create": gettext_lazy("Приказ создан"), "generate": gettext_lazy("Приказ сформирован автоматически"),
    "edit": gettext_lazy("Реквизиты изменены"), "scan_add": gettext_lazy("Скан загружен"),
    "scan_replace": gettext_lazy("Скан заменён"), "assign": gettext_lazy("Приказ назначен заявкам"),
    "portal_entered": gettext_lazy("Внесён на РР"),
}


def _get_order(request, pk, queryset=None) -> Order:
    """An order the user may see on the staff side (citizens and employment services: 403)."""
    require(may_view_orders(request.user))
    return get_for_user_or_404(queryset if queryset is not None else Order.objects.all(), request.user, pk=pk)


def _get_partner_order(request, pk) -> Order:
    """An order the user sees and works on as its partner's staff (the operator: 403)."""
    order = _get_order(request, pk, selectors.order_detail_queryset())
    require(is_order_partner(request.user, order))
    return order


def _run(request, call, success, url: str):
    """Run one service call; each refusal becomes an error message and nothing changes. `success`
    is the message, formatted with the call's result as `count`."""
    try:
        result = call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success % {"count": result} if isinstance(result, int) else success)
    return redirect(url)


def _add_errors(form, error: ValidationError, field=None, by_code=None) -> None:
    """A service's refusal next to its field: per field when keyed, else on `field` (or the field
    `by_code` names for the error's code), else on the whole form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    target = (by_code or {}).get(error.code, field)
    form.add_error(target if target in form.fields else None, error)


def _ids(values) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


# The list -------------------------------------------------------------------------------------

@require_safe
def order_list(request):
    """The orders the user sees: search by number, filters, sorting, pages of 50, CSV export."""
    require(may_view_orders(request.user))
    form = OrderFilterForm(request.GET or None, cohorts=selectors.cohort_choices(request.user))
    filters = form.filters()
    page = Paginator(selectors.order_list_for(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    access = request.user.access
    return render(request, "orders/order_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "sort": filters["sort"], "show_partner": access.sees_all_partners or len(access.partner_ids) > 1,
        "can_create": may_create_orders(request.user)})


# Creating and editing -------------------------------------------------------------------------

def _own_cohorts(user):
    cohorts = selectors.cohort_choices(user)
    return cohorts if user.is_superuser else cohorts.filter(program__partner_id__in=user.access.partner_ids)


@require_http_methods(["GET", "HEAD", "POST"])
def order_create(request):
    """A manual order: requisites, optional scan; in automatic mode only extension orders."""
    require(may_create_orders(request.user))
    form = OrderCreateForm(request.POST or None, request.FILES or None, cohorts=_own_cohorts(request.user),
                           initial={"cohort": request.GET.get("cohort")})
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(actor=request.user, cohort=form.cleaned_data["cohort"],
                                          requisites=form.requisites(), scan_files=form.cleaned_data["scan"] or None)
        except ValidationError as error:
            _add_errors(form, error, field="scan", by_code={"automatic_mode": None})
        else:
            messages.success(request, _("Приказ № %(number)s создан.") % {"number": order.number})
            return redirect(order)
    return render(request, "orders/order_form.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def order_edit(request, pk):
    """Number and dates, until the order is entered on РР (then only the scan may change)."""
    order = _get_partner_order(request, pk)
    form = OrderEditForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_update(actor=request.user, order=order, requisites=form.requisites())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Реквизиты приказа сохранены."))
            return redirect(order)
    return render(request, "orders/order_edit.html", {"order": order, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def order_scan(request, pk):
    """Attach the scan or replace it (old versions kept); after РР, with a confirmation."""
    order = _get_partner_order(request, pk)
    form = OrderScanForm(request.POST or None, request.FILES or None, frozen=order.is_frozen)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_scan_replace(actor=request.user, order=order, files=form.cleaned_data["files"],
                                        confirmed=form.cleaned_data.get("confirmed", False))
        except ValidationError as error:
            _add_errors(form, error, field="files", by_code={"confirm_required": "confirmed"})
        else:
            messages.success(request, _("Скан приказа загружен; прежние версии сохранены в истории."))
            return redirect(order)
    return render(request, "orders/order_scan.html", {
        "order": order, "form": form, "scan": selectors.current_scan(order)})


# The order's page -----------------------------------------------------------------------------

@require_safe
def order_detail(request, pk):
    """Requisites, files and scan history, the assigned applications, history; for the partner's
    staff the cohort's applications the order may still go to, with a bulk assignment."""
    order = _get_order(request, pk, selectors.order_detail_queryset())
    is_partner = is_order_partner(request.user, order)
    closed = services.assignment_closed_reason(order, timezone.localdate())
    return render(request, "orders/order_detail.html", {
        "order": order, "scan": selectors.current_scan(order), "scans": order.scans.all(),
        "assignments": selectors.order_assignments(order), "is_partner": is_partner,
        "candidates": list(selectors.order_candidates(order)) if is_partner and not closed else [],
        "assignment_closed": closed,
        "needed_statuses": [Application.Status(status).label for status in services.required_statuses(order)],
        "history": [{"event": event, "action": EVENT_LABELS.get(event.transition, event.transition)}
                    for event in order.events.select_related("actor")],
    })


@require_POST
def order_assign(request, pk):
    """Assign the order to the ticked applications (all or none), after a confirmation."""
    order = _get_partner_order(request, pk)
    ids = _ids(request.POST.getlist("application"))
    if ids and request.POST.get("confirmed") != "1":
        return render(request, "orders/order_assign_confirm.html", {
            "order": order, "ids": ids, "applications": selectors.order_candidates(order).filter(pk__in=ids)})
    return _run(request, lambda: services.order_assign(actor=request.user, order=order, application_ids=ids),
                _("Приказ назначен заявкам: %(count)d."), order.get_absolute_url() + "#assignments")


# Files ----------------------------------------------------------------------------------------

def _scan_response(scan: OrderScan, order: Order):
    extension = (scan.file.name or "").rsplit(".", 1)[-1].lower()
    response = file_response(scan.file, download_filename(
        _("Приказ № %(number)s — скан, версия %(version)d") % {"number": order.number, "version": scan.version},
        extension))
    response["Content-Type"] = scan.content_type
    response["Content-Security-Policy"] = "sandbox"
    return response


def _order_file(order: Order):
    """The order's current scan, else its generated PDF once ready (404 otherwise)."""
    scan = order.scans.filter(is_current=True).first()
    if scan is not None:
        return _scan_response(scan, order)
    return document_response(order.document)


@require_GET
def order_file(request, pk):
    return _order_file(_get_order(request, pk, Order.objects.select_related("document")))


@require_GET
def order_pdf(request, pk):
    """An automatic order's generated PDF, also once a scan replaced it as the order's file."""
    return document_response(_get_order(request, pk, Order.objects.select_related("document")).document)


@require_GET
def scan_file(request, pk):
    """One version of an order's scan, current or older."""
    require(may_view_orders(request.user))
    scan = get_object_or_404(OrderScan, pk=pk)
    return _scan_response(scan, _get_order(request, scan.order_id))


@require_GET
def cabinet_order_file(request, pk):
    """The citizen's own order (assigned to one of the citizen's applications); staff: 403."""
    require(request.user.access.is_citizen)
    own = filter_for_user(Application.objects.all(), request.user).filter(citizen__user=request.user)
    order = (Order.objects.filter(pk=pk, assignments__application__in=own).select_related("document")
             .distinct().first())
    if order is None:
        raise Http404
    return _order_file(order)


# The РР re-keying dashboard -------------------------------------------------------------------

def _partner_param(request) -> int | None:
    value = request.POST.get("partner") or request.GET.get("partner") or ""
    return int(value) if value.isdigit() else None


def _dashboard_url(request) -> str:
    partner = _partner_param(request)
    url = reverse("orders:portal_dashboard")
    return f"{url}?partner={partner}" if partner else url


@require_safe
def portal_dashboard(request):
    """"Работа с приказами": the enrolment and expulsion orders with the applications still to enter
    on РР, the qualification documents, overdue items marked; the operator's counts per partner."""
    require(may_view_orders(request.user))
    partner = _partner_param(request)
    sees_all = request.user.access.sees_all_partners or request.user.is_superuser
    backlog = selectors.portal_backlog_by_partner(request.user) if sees_all else []
    return render(request, "orders/portal_dashboard.html", {
        "dashboard": selectors.portal_dashboard(request.user, partner=partner), "backlog": backlog,
        "partner": partner, "partner_name": next((e["partner"] for e in backlog if e["partner_id"] == partner), ""),
        "show_partner": sees_all, "can_mark": may_enter_on_portal(request.user)})


MARKED = gettext_lazy("Отмечено как внесённое на РР: %(count)d")


@require_POST
def portal_mark(request):
    """Tick the chosen applications (or, with `order`, all of that order's) entered on РР."""
    require(may_enter_on_portal(request.user))
    order_id = request.POST.get("order", "")
    if order_id.isdigit():
        scope = {"order": get_for_user_or_404(Order.objects.all(), request.user, pk=order_id)}
    else:
        scope = {"assignment_ids": _ids(request.POST.getlist("assignment"))}
    return _run(request, lambda: portal.portal_mark_entered(actor=request.user, **scope), str(MARKED),
                _dashboard_url(request))


@require_POST
def portal_mark_qualifications(request):
    require(may_enter_on_portal(request.user))
    ids = _ids(request.POST.getlist("document"))
    return _run(request, lambda: portal.portal_mark_qualifications_entered(actor=request.user, document_ids=ids),
                str(MARKED), _dashboard_url(request) + "#portal-qualifications")


@require_GET
def portal_csv(request, pk):
    """The order's applications still to enter on РР, for the clerk (UTF-8 with BOM, `;`)."""
    order = _get_order(request, pk)
    response = HttpResponse(open_lines_csv(order, selectors.order_open_lines(order)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, download_filename(
        _("Приказ № %(number)s — внести на РР") % {"number": order.number}, "csv"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
