"""The РР import in the admin: upload → preview → confirm, for operator reviewers and ops, with
the same service as `manage.py import_applications` / `import_rr_events`. It follows the Odin
import page (programs/admin/odin.py) and reuses its page template: the preview is a dry run
(every row checked and written inside a rolled-back transaction), the confirm runs it for real.

Wire it into the applications' ModelAdmin (the lead does):

    class ApplicationAdmin(RRImportAdminMixin, admin.ModelAdmin): ...

which adds the page `<changelist>/rr-import/` and an «Импорт с «Работы России»» button on the list.
"""
import secrets

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports import EXIT_UNUSABLE, ImportInterrupted, error_report_csv
from enrollment.services.feed import FEEDS, rr_import
from programs.admin.odin import IMPORT_TEMPLATE, may_import_odin

ADMIN_MAX_BYTES = 5 * 1024 * 1024  # bigger files go through manage.py import_applications
STASH_TTL = 60 * 60
ERRORS_SHOWN = 500
KIND_CHOICES = [("applications", gettext_lazy("Заявки")), ("events", gettext_lazy("События заявок"))]


def may_import_rr(user) -> bool:
    """The same people as for Odin files: operator reviewers and ops (superusers)."""
    return may_import_odin(user)


class RRImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Что импортировать"), choices=KIND_CHOICES)
    file = forms.FileField(label=gettext_lazy("Файл CSV или JSON Lines"), help_text=gettext_lazy(
        "С заголовком, UTF-8, разделитель «,» или «;»; столбцы — в docs/imports.md. До 5 МБ; файлы больше "
        "импортируйте командами manage.py import_applications и import_rr_events."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ADMIN_MAX_BYTES:
            raise forms.ValidationError(_("Файл больше 5 МБ: импортируйте его командой manage.py."))
        return upload


class RRImportAdminMixin:
    """Adds the РР import page to a ModelAdmin, with a button on its change list."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("rr-import/", self.admin_site.admin_view(self.rr_import_view), name=f"{prefix}_rr_import"),
            path("rr-import/report/<str:token>/", self.admin_site.admin_view(self.rr_import_report_view),
                 name=f"{prefix}_rr_import_report"),
            *super().get_urls(),
        ]

    def has_rr_import_permission(self, request) -> bool:
        return may_import_rr(request.user)

    @property
    def change_list_template(self):
        return engines["django"].from_string(CHANGE_LIST_TEMPLATE)

    def changelist_view(self, request, extra_context=None):
        if self.has_rr_import_permission(request):
            extra_context = {**(extra_context or {}), "rr_import_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_rr_import")}
        return super().changelist_view(request, extra_context)

    def rr_import_view(self, request):
        if not self.has_rr_import_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": _("Импорт с «Работы России»")}
        page = engines["django"].from_string(IMPORT_TEMPLATE)
        if request.method == "POST" and "token" in request.POST:
            stash = cache.get(_key(request.POST["token"]))
            if stash is None or stash["user"] != request.user.pk:
                context["expired"] = True
            else:
                cache.delete(_key(request.POST["token"]))
                context.update(self._rr_run(request, stash, dry_run=False))
            return TemplateResponse(request, page, {**context, "form": RRImportForm()})
        form = RRImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stash = {"user": request.user.pk, "kind": form.cleaned_data["kind"], "name": upload.name,
                     "data": upload.read()}
            context.update(self._rr_run(request, stash, dry_run=True))
            if context["result"].exit_code != EXIT_UNUSABLE:
                context["token"] = secrets.token_urlsafe(24)
                cache.set(_key(context["token"]), stash, STASH_TTL)
        return TemplateResponse(request, page, {**context, "form": form})

    def rr_import_report_view(self, request, token):
        report = cache.get(_key(token, "report"))
        if not self.has_rr_import_permission(request) or report is None or report["user"] != request.user.pk:
            raise Http404
        response = HttpResponse(report["csv"], content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="rr-errors.csv"'
        return response

    def _rr_run(self, request, stash: dict, *, dry_run: bool) -> dict:
        feed = FEEDS[stash["kind"]]
        try:
            result = rr_import(kind=stash["kind"], source=stash["data"], name=stash["name"], dry_run=dry_run,
                               initiator=f"admin ({request.user.email})")
            interrupted = ""
        except ImportInterrupted as exc:
            result, interrupted = exc.result, str(exc)
        context = {"result": result, "preview": dry_run, "interrupted": interrupted, "file_name": stash["name"],
                   "kind_label": dict(KIND_CHOICES)[stash["kind"]], "errors": result.errors[:ERRORS_SHOWN],
                   "counts": [(label, result.counts[o]) for o, label in feed.outcome_labels.items()]
                   + [(label, result.counts[o]) for o, label in feed.extra_outcome_labels.items() if result.counts[o]]}
        if result.errors:
            report_token = secrets.token_urlsafe(24)
            cache.set(_key(report_token, "report"), {"user": request.user.pk, "csv": error_report_csv(result.errors)},
                      STASH_TTL)
            context["report_url"] = reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_rr_import_report",
                args=[report_token])
        return context


def _key(token: str, part: str = "upload") -> str:
    return f"enrollment:rr-import:{part}:{token}"


CHANGE_LIST_TEMPLATE = """{% extends "admin/change_list.html" %}{% load i18n %}
{% block object-tools-items %}
  {% if rr_import_url %}<li><a href="{{ rr_import_url }}">{% translate "Импорт с «Работы России»" %}</a></li>{% endif %}
  {{ block.super }}
{% endblock %}"""
