"""The second factor gate: staff who bound an authenticator app enter its code before any page,
and members of an organisation that requires one bind an app first. Citizens are never asked."""
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import urlencode

from accounts.selectors import two_factor_has_device

# Pages reachable before the code is entered (or the app is bound).
VERIFY_EXEMPT = {"accounts:two_factor_verify", "accounts:logout", "set_language"}
SETUP_EXEMPT = {"accounts:two_factor", "accounts:logout", "set_language"}


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_citizen or request.path.startswith(settings.STATIC_URL):
            return None
        if getattr(user, "is_verified", lambda: False)():
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if two_factor_has_device(user=user):
            if view_name not in VERIFY_EXEMPT:
                return _redirect(request, "accounts:two_factor_verify")
        elif user.access.requires_two_factor and view_name not in SETUP_EXEMPT:
            return _redirect(request, "accounts:two_factor")
        return None


def _redirect(request, url_name: str) -> HttpResponse:
    url = f"{resolve_url(url_name)}?{urlencode({'next': request.get_full_path()})}"
    if request.headers.get("HX-Request") == "true":
        # An HTMX swap would otherwise paste the whole verify page into a fragment.
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)
