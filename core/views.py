"""Error pages (a request ID for support, never a traceback, settings or SQL: CFG-02), the
export job pages, and the development mail viewer."""
import sys

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from core import exports, queues
from core.access import require, task_scope_refusal
from core.models import ExportJob, OutgoingEmail


def _error(request, status: int, template: str):
    context = {"request_id": getattr(request, "request_id", "")}
    return render(request, template, context, status=status)


@login_not_required
def bad_request(request, exception=None):
    return _error(request, 400, "errors/400.html")


@login_not_required
def permission_denied(request, exception=None):
    return _error(request, 403, "errors/403.html")


@login_not_required
def csrf_failure(request, reason=""):
    """A refused form (no or stale CSRF token): the plain 403 page, not Django's explanation of
    CSRF internals (CSRF_FAILURE_VIEW)."""
    return _error(request, 403, "errors/403.html")


@login_not_required
def page_not_found(request, exception=None):
    return _error(request, 404, "errors/404.html")


# The database is away (restart, failover, network): not a bug but a moment to wait (§4 R1, I5).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@login_not_required
def server_error(request):
    """handler500: Django calls it inside its `except` block, so the exception is at hand. A lost
    database connection gets 503 with Retry-After (clients and the proxy may retry) instead of 500."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        response = _error(request, 503, "errors/503.html")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _error(request, 500, "errors/500.html")


# Export jobs: the owner's list, a self-refreshing status page, the download and the start button.

EXPORTS_PER_PAGE = 20
# Fields of the export button's POST that are not list filters.
_EXPORT_CONTROL_FIELDS = {"csrfmiddlewaretoken", "export_format"}


@require_safe
def export_list(request):
    """The user's own exports, newest first."""
    page_obj = Paginator(exports.export_list_for(request.user), EXPORTS_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "core/exportjob_list.html", {
        "page_obj": page_obj,
        "page_range": page_obj.paginator.get_elided_page_range(page_obj.number),
    })


@require_safe
def export_detail(request, pk):
    """Status and progress; while the job runs, htmx re-fetches the status panel every 2 s."""
    job = get_object_or_404(exports.export_list_for(request.user), pk=pk)
    template = "core/partials/export_status.html" if request.htmx else "core/exportjob_detail.html"
    return render(request, template, {"job": job})


@require_safe
def export_download(request, pk):
    """The file, to its owner only (anyone else gets 404); 410 once it has expired."""
    job = get_object_or_404(exports.export_list_for(request.user), pk=pk)
    if job.status == ExportJob.Status.EXPIRED:
        return render(request, "core/exportjob_expired.html", {"job": job}, status=410)
    if job.status != ExportJob.Status.READY:
        return redirect("core:export_detail", pk=job.pk)
    # The file was built within the scope its owner had when starting it; an owner who has lost a
    # role or organisation since then no longer gets it (ACL-09: fail closed, as the task does).
    require(task_scope_refusal(request.user, job.params.get("__scope")) is None)
    try:
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=exports.download_name(job))
    except FileNotFoundError:  # removed from storage by hand: as good as expired
        return render(request, "core/exportjob_expired.html", {"job": job}, status=410)


@require_POST
def export_start(request, kind):
    """Start export `kind` with the list page's filters (sent as fields or in the query string)."""
    params = request.GET.copy()
    for key, values in request.POST.lists():
        if key not in _EXPORT_CONTROL_FIELDS:
            params.setlist(key, values)
    export_format = request.POST.get("export_format") or request.GET.get("export_format", "csv")
    params.pop("export_format", None)
    try:
        job = exports.export_start(user=request.user, kind=kind, params=params, format=export_format)
    except exports.UnknownExport:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:export_list")
    messages.success(request, _("Выгрузка поставлена в очередь. Когда файл будет готов, ссылка придёт на почту."))
    return redirect("core:export_detail", pk=job.pk)


# Development mail viewer (mounted under /dev/ only when DEBUG is on).

# Work queues ----------------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 50


@require_safe
def queue_detail(request, key):
    """One work queue's items, earliest due first (the overdue on top), 50 a page; the count on
    the home page is the same queryset's."""
    try:
        spec = queues.get_queue(key)
    except queues.UnknownQueue:
        raise Http404 from None
    require(spec.applies_to(request.user))
    page = Paginator(spec.rows(request.user), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/queue_detail.html", {
        "queue": spec, "page_obj": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "headers": [label for label, _accessor in spec.columns],
        "rows": queues.queue_rows(spec, list(page.object_list)),
    })


def _require_staff(request) -> None:
    require(request.user.is_staff)


def mail_list(request):
    """The outbox, newest first: what the application would have sent."""
    _require_staff(request)
    page_obj = Paginator(OutgoingEmail.objects.defer("body_text", "body_html"), 50).get_page(
        request.GET.get("page"))
    return render(request, "core/dev_mail_list.html", {"page_obj": page_obj})


def mail_detail(request, pk):
    _require_staff(request)
    email = get_object_or_404(OutgoingEmail, pk=pk)
    return render(request, "core/dev_mail_detail.html", {"email": email})


@xframe_options_sameorigin
def mail_html(request, pk):
    """The HTML body on its own, for a sandboxed iframe: no scripts, no forms, no outside requests."""
    _require_staff(request)
    email = get_object_or_404(OutgoingEmail, pk=pk)
    response = HttpResponse(email.body_html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
    return response
