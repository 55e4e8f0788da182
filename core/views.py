"""Error pages: a request ID for support, never a traceback, settings or SQL (CFG-02)."""
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render


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
def page_not_found(request, exception=None):
    return _error(request, 404, "errors/404.html")


@login_not_required
def server_error(request):
    return _error(request, 500, "errors/500.html")
