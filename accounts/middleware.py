"""The second factor gate and the session clock.

Second factor: staff who bound an authenticator app enter its code before any page; staff who
must have one (every staff account when TWO_FACTOR_MANDATORY is on, as in production, AUTH-06;
otherwise members of an organisation that requires it) bind an app first. Citizens are never asked.

Session clock (SESS-03): a session that was idle too long, or is older than the absolute
lifetime, is logged out before the request goes any further.
"""
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import security_log
from accounts.selectors import two_factor_has_device, two_factor_required
from accounts.sessions import AUTH_AT_SESSION, SEEN_AT_SESSION, session_clock_start, session_limits

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
        elif two_factor_required(user=user) and view_name not in SETUP_EXEMPT:
            return _redirect(request, "accounts:two_factor")
        return None


# Session clock ------------------------------------------------------------------------------

# The last-seen mark is rewritten at most this often, not on every request (one session write a
# minute at most); a session therefore times out up to this much early, never late.
SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request, user)
            if expired:
                security_log.security_event(security_log.SESSION_TIMEOUT, request=request, user=user,
                                            reason=expired)
                logout(request)
                messages.info(request, _("Сеанс завершён: вы долго не работали в Flow или вошли слишком "
                                         "давно. Войдите снова."))
                return _redirect(request, settings.LOGIN_URL)
        return self.get_response(request)

    @staticmethod
    def _expired(request, user) -> str:
        session = request.session
        now = int(time.time())
        idle, absolute = session_limits(user)
        auth_at, seen_at = session.get(AUTH_AT_SESSION), session.get(SEEN_AT_SESSION)
        if auth_at is None or seen_at is None:  # a session from before the clock existed
            session_clock_start(session)
            return ""
        if now - auth_at > absolute:
            return "absolute"
        if now - seen_at > idle:
            return "idle"
        if now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT_SESSION] = now
        return ""


def _redirect(request, url_name: str) -> HttpResponse:
    url = f"{resolve_url(url_name)}?{urlencode({'next': request.get_full_path()})}"
    if request.headers.get("HX-Request") == "true":
        # An HTMX swap would otherwise paste the whole verify page into a fragment.
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)
