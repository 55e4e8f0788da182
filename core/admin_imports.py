"""A feed import page in the admin: upload → preview → confirm, for the people a feed allows.

The preview is a dry run of the same service as the feed's management command (every row checked
and written inside a transaction that is rolled back), so it shows exact counts and the error
table while nothing is written; the confirm runs it for real. django-import-export's per-row
pipeline is not used: it refuses to confirm a file with any invalid row and writes row by row,
where Flow's feeds import the good rows and report the bad ones per batch.

A ModelAdmin opts in by mixing in FeedImportAdminMixin and setting the `feed_import_*` attributes
(see programs/admin/odin.py); it gets the page `<changelist>/<slug>/` and a button on its list.
"""
import secrets
from collections.abc import Callable

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports import EXIT_UNUSABLE, ImportInterrupted, error_report_csv

ADMIN_MAX_BYTES = 5 * 1024 * 1024  # bigger files go through the feed's management command
STASH_TTL = 60 * 60  # a previewed file can be confirmed for an hour
ERRORS_SHOWN = 500


class FeedImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Что импортировать"))
    file = forms.FileField(label=gettext_lazy("Файл CSV или JSON Lines"))

    def __init__(self, *args, kinds, help_text, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["file"].help_text = help_text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ADMIN_MAX_BYTES:
            raise forms.ValidationError(_("Файл больше 5 МБ: импортируйте его командой manage.py."))
        return upload


class FeedImportAdminMixin:
    """Adds a feed's import page to a ModelAdmin, with a button on its change list."""

    feed_import_slug: str            # URL part, e.g. "odin-import" (URL name suffix "odin_import")
    feed_import_title: str           # page title and button label
    feed_import_kinds: list          # [(kind, label)] offered in the form
    feed_import_help: str            # the file field's help text
    feed_import_feeds: dict          # kind → Feed class (for the outcome labels)
    feed_import_run: Callable        # (kind=, source=, name=, dry_run=, initiator=, user=) -> ImportResult
    feed_import_allowed: Callable    # (user) -> bool
    change_list_template = "admin/feed_import_change_list.html"

    def _feed_url_name(self, suffix: str = "") -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{self.feed_import_slug.replace('-', '_')}{suffix}"

    def get_urls(self):
        return [
            path(f"{self.feed_import_slug}/", self.admin_site.admin_view(self.feed_import_view),
                 name=self._feed_url_name()),
            path(f"{self.feed_import_slug}/report/<str:token>/",
                 self.admin_site.admin_view(self.feed_import_report_view), name=self._feed_url_name("_report")),
            *super().get_urls(),
        ]

    def has_feed_import_permission(self, request) -> bool:
        return self.feed_import_allowed(request.user)

    def changelist_view(self, request, extra_context=None):
        if self.has_feed_import_permission(request):
            extra_context = {**(extra_context or {}), "feed_import_title": self.feed_import_title,
                             "feed_import_url": reverse(f"{self.admin_site.name}:{self._feed_url_name()}")}
        return super().changelist_view(request, extra_context)

    def _feed_form(self, data=None, files=None):
        return FeedImportForm(data, files, kinds=self.feed_import_kinds, help_text=self.feed_import_help)

    def feed_import_view(self, request):
        if not self.has_feed_import_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": self.feed_import_title}
        if request.method == "POST" and "token" in request.POST:
            stash = cache.get(self._feed_key(request.POST["token"]))
            if stash is None or stash["user"] != request.user.pk:
                context["expired"] = True
            else:
                cache.delete(self._feed_key(request.POST["token"]))
                context.update(self._feed_run(request, stash, dry_run=False))
            return TemplateResponse(request, "admin/feed_import.html", {**context, "form": self._feed_form()})
        form = self._feed_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stash = {"user": request.user.pk, "kind": form.cleaned_data["kind"], "name": upload.name,
                     "data": upload.read()}
            context.update(self._feed_run(request, stash, dry_run=True))
            if context["result"].exit_code != EXIT_UNUSABLE:
                context["token"] = secrets.token_urlsafe(24)
                cache.set(self._feed_key(context["token"]), stash, STASH_TTL)
        return TemplateResponse(request, "admin/feed_import.html", {**context, "form": form})

    def feed_import_report_view(self, request, token):
        report = cache.get(self._feed_key(token, "report"))
        if not self.has_feed_import_permission(request) or report is None or report["user"] != request.user.pk:
            raise Http404
        response = HttpResponse(report["csv"], content_type="text/csv; charset=utf-8")
        feed_name = self.feed_import_slug.removesuffix("-import")
        response["Content-Disposition"] = f'attachment; filename="{feed_name}-errors.csv"'
        return response

    def _feed_run(self, request, stash: dict, *, dry_run: bool) -> dict:
        feed = self.feed_import_feeds[stash["kind"]]
        try:
            result = self.feed_import_run(kind=stash["kind"], source=stash["data"], name=stash["name"],
                                          dry_run=dry_run, initiator=f"admin ({request.user.email})",
                                          user=request.user)
            interrupted = ""
        except ImportInterrupted as exc:
            result, interrupted = exc.result, str(exc)
        context = {"result": result, "preview": dry_run, "interrupted": interrupted, "file_name": stash["name"],
                   "kind_label": dict(self.feed_import_kinds)[stash["kind"]], "errors": result.errors[:ERRORS_SHOWN],
                   "counts": [(label, result.counts[o]) for o, label in feed.outcome_labels.items()]
                   + [(label, result.counts[o]) for o, label in feed.extra_outcome_labels.items() if result.counts[o]]}
        if result.errors:
            report_token = secrets.token_urlsafe(24)
            cache.set(self._feed_key(report_token, "report"),
                      {"user": request.user.pk, "csv": error_report_csv(result.errors)}, STASH_TTL)
            context["report_url"] = reverse(f"{self.admin_site.name}:{self._feed_url_name('_report')}",
                                            args=[report_token])
        return context

    def _feed_key(self, token: str, part: str = "upload") -> str:
        return f"feed-import:{self.feed_import_slug}:{part}:{token}"
