"""A test URLconf (CFG-02): Flow's URLs plus views that fail in each way, so that the error
pages can be checked without adding a failing URL to the real URLconf."""
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404, HttpResponse
from django.urls import path

from flow import urls as flow_urls

LEAK = "SELECT secret_key FROM settings -- SECRET_KEY"


@login_not_required
def bad_request(request):
    raise SuspiciousOperation(LEAK)


@login_not_required
def forbidden(request):
    raise PermissionDenied(LEAK)


@login_not_required
def not_found(request):
    raise Http404(LEAK)


@login_not_required
def server_error(request):
    raise RuntimeError(LEAK)


@login_not_required
def database_gone(request):
    raise OperationalError(f"server closed the connection unexpectedly: {LEAK}")


@login_not_required
def too_big(request):
    raise RequestDataTooBig(LEAK)


@login_not_required
def read_post(request):
    return HttpResponse(f"{len(request.POST)} fields")


urlpatterns = [
    path("_errors/400/", bad_request),
    path("_errors/403/", forbidden),
    path("_errors/404/", not_found),
    path("_errors/500/", server_error),
    path("_errors/503/", database_gone),
    path("_errors/too-big/", too_big),
    path("_errors/read-post/", read_post),
    *flow_urls.urlpatterns,
]
handler400 = flow_urls.handler400
handler403 = flow_urls.handler403
handler404 = flow_urls.handler404
handler500 = flow_urls.handler500
