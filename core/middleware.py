"""Request-wide concerns: a request ID for support, no TRACE, no caching of personal pages, the language."""
import uuid

from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class RequestIDMiddleware:
    """Tag each request with an ID shown on error pages and sent back as X-Request-ID."""

    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex[:16]
        response = self.get_response(request)
        response[self.header] = request.request_id
        return response


class RefuseTraceMiddleware:
    """TRACE and TRACK echo the request (cookies included) back to a script: refused with 405
    before any view, whatever the view accepts (CFG-08; the reverse proxy refuses them too)."""

    refused = frozenset({"TRACE", "TRACK", "CONNECT"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in self.refused:
            return HttpResponseNotAllowed(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        return self.get_response(request)


class NoStoreForAuthenticatedMiddleware:
    """Pages seen by a logged-in user hold personal data: never store them in any cache (CFG-09)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
            patch_vary_headers(response, ("Cookie",))
        return response


class ChosenLanguageMiddleware(LocaleMiddleware):
    """The interface is Russian unless the user picked another language with the switcher
    (the language cookie). The browser's Accept-Language is ignored on purpose: many users of a
    Russian public service browse with an English-language browser and still expect Russian."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
