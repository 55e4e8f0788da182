"""Request-wide concerns: a request ID for support, no TRACE, no caching of personal pages, the language."""
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseNotAllowed
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from core.models import FormSubmission


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


class DuplicateSubmissionMiddleware:
    """Run a form once however often it arrives (REL-06). flow.js gives every POST form a key on
    its first submit; the first request with a key claims it (a unique row, committed at once, so
    a parallel twin sees it) and, when it succeeds with a redirect, records where it went. A repeat
    waits briefly for the first to finish and is sent to the same place; one still running after
    that gets a 409 page. A refused form (200 with errors, 4xx, 5xx) releases its key, so the user
    can correct and send it again. POSTs without a key (API clients, tests) pass untouched."""

    field = "_submission"
    wait_seconds = 10.0
    poll_seconds = 0.2

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.POST.get(self.field, "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not raw or user is None or not user.is_authenticated:
            return self.get_response(request)
        key = f"{user.pk}:{raw[:80]}"
        if self._claim(key):
            return self._run(request, key)
        return self._repeat(request, key)

    def _run(self, request, key: str):
        try:
            response = self.get_response(request)
        except Exception:
            FormSubmission.objects.filter(key=key).delete()
            raise
        if 300 <= response.status_code < 400 and response.get("Location"):
            FormSubmission.objects.filter(key=key).update(location=response["Location"][:500])
        else:
            FormSubmission.objects.filter(key=key).delete()
        return response

    @staticmethod
    def _claim(key: str) -> bool:
        try:
            with transaction.atomic():
                FormSubmission.objects.create(key=key)
        except IntegrityError:
            return False
        return True

    def _repeat(self, request, key: str):
        deadline = time.monotonic() + self.wait_seconds
        while True:
            location = FormSubmission.objects.filter(key=key).values_list("location", flat=True).first()
            if location is None:  # the first one was refused and released the key: this one runs
                if self._claim(key):
                    return self._run(request, key)
                continue
            if location:
                messages.info(request, _("Форма уже была отправлена: показываем результат."))
                return redirect(location)
            if time.monotonic() >= deadline:
                return render(request, "errors/409.html", status=409, context={
                    "heading": _("Форма уже отправлена"),
                    "text": _("Эта форма уже обрабатывается. Подождите немного и обновите страницу."),
                    "url": request.path, "link_label": _("Обновить")})
            time.sleep(self.poll_seconds)
