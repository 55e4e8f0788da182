"""The Odin import in the admin: upload → preview → confirm, for operator reviewers and ops.

The preview is a dry run of the same service as `manage.py import_odin` (every row checked and
written inside a transaction that is rolled back), so it shows exact counts and the error table
while nothing is written; the confirm runs it for real. Same rules, same portal lock, same
batches. django-import-export's per-row pipeline is not used: it refuses to confirm a file with
any invalid row, and it writes row by row, where Odin files import the good rows and hold
changes to programs on РР per batch.

Wire it into a ModelAdmin (the lead does, in programs/admin/programs.py):

    class ProgramAdmin(OdinImportAdminMixin, admin.ModelAdmin): ...

which adds the page `<changelist>/odin-import/` and an «Импорт из Odin» button on the list.
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
from programs.services.odin import FEEDS, odin_import

ADMIN_MAX_BYTES = 5 * 1024 * 1024  # bigger files go through manage.py import_odin
STASH_TTL = 60 * 60
ERRORS_SHOWN = 500
KIND_CHOICES = [("programs", gettext_lazy("Программы")), ("cohorts", gettext_lazy("Потоки")),
                ("results", gettext_lazy("Результаты обучения"))]


def may_import_odin(user) -> bool:
    """Operator reviewers and ops (superusers) import Odin files."""
    return user.is_active and (user.is_superuser or user.access.is_operator)


class OdinImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Что импортировать"), choices=KIND_CHOICES)
    file = forms.FileField(label=gettext_lazy("Файл CSV или JSON Lines"), help_text=gettext_lazy(
        "С заголовком, UTF-8, разделитель «,» или «;»; столбцы — в docs/imports.md. До 5 МБ; файлы больше "
        "импортируйте командой manage.py import_odin."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ADMIN_MAX_BYTES:
            raise forms.ValidationError(_("Файл больше 5 МБ: импортируйте его командой manage.py import_odin."))
        return upload


class OdinImportAdminMixin:
    """Adds the Odin import page to a ModelAdmin, with a button on its change list."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("odin-import/", self.admin_site.admin_view(self.odin_import_view), name=f"{prefix}_odin_import"),
            path("odin-import/report/<str:token>/", self.admin_site.admin_view(self.odin_import_report_view),
                 name=f"{prefix}_odin_import_report"),
            *super().get_urls(),
        ]

    def has_odin_import_permission(self, request) -> bool:
        return may_import_odin(request.user)

    @property
    def change_list_template(self):
        return engines["django"].from_string(CHANGE_LIST_TEMPLATE)

    def changelist_view(self, request, extra_context=None):
        if self.has_odin_import_permission(request):
            extra_context = {**(extra_context or {}), "odin_import_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_odin_import")}
        return super().changelist_view(request, extra_context)

    def odin_import_view(self, request):
        if not self.has_odin_import_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Импорт из Odin")}
        if request.method == "POST" and "token" in request.POST:
            stash = cache.get(_key(request.POST["token"]))
            if stash is None or stash["user"] != request.user.pk:
                context["expired"] = True
            else:
                cache.delete(_key(request.POST["token"]))
                context.update(self._odin_run(request, stash, dry_run=False))
            return TemplateResponse(request, engines["django"].from_string(IMPORT_TEMPLATE),
                                    {**context, "form": OdinImportForm()})
        form = OdinImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stash = {"user": request.user.pk, "kind": form.cleaned_data["kind"], "name": upload.name,
                     "data": upload.read()}
            context.update(self._odin_run(request, stash, dry_run=True))
            if context["result"].exit_code != EXIT_UNUSABLE:
                context["token"] = secrets.token_urlsafe(24)
                cache.set(_key(context["token"]), stash, STASH_TTL)
        return TemplateResponse(request, engines["django"].from_string(IMPORT_TEMPLATE), {**context, "form": form})

    def odin_import_report_view(self, request, token):
        report = cache.get(_key(token, "report"))
        if not self.has_odin_import_permission(request) or report is None or report["user"] != request.user.pk:
            raise Http404
        response = HttpResponse(report["csv"], content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="odin-errors.csv"'
        return response

    def _odin_run(self, request, stash: dict, *, dry_run: bool) -> dict:
        feed = FEEDS[stash["kind"]]
        try:
            result = odin_import(kind=stash["kind"], source=stash["data"], name=stash["name"], dry_run=dry_run,
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
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_odin_import_report",
                args=[report_token])
        return context


def _key(token: str, part: str = "upload") -> str:
    return f"programs:odin-import:{part}:{token}"


CHANGE_LIST_TEMPLATE = """{% extends "admin/change_list.html" %}{% load i18n %}
{% block object-tools-items %}
  {% if odin_import_url %}<li><a href="{{ odin_import_url }}">{% translate "Импорт из Odin" %}</a></li>{% endif %}
  {{ block.super }}
{% endblock %}"""

IMPORT_TEMPLATE = """{% extends "admin/base_site.html" %}{% load i18n admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
  <a href="{% url 'admin:index' %}">{% translate "Home" %}</a> &rsaquo;
  <a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a> &rsaquo;
  <a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a> &rsaquo;
  {{ title }}
</div>{% endblock %}
{% block content %}
{% if expired %}
  <p class="errornote">{% translate "Проверенный файл больше недоступен: прошло больше часа," %}
    {% translate "или его уже импортировали. Загрузите его снова." %}</p>
{% endif %}
{% if result %}
  <h2>{% if preview %}{% translate "Проверка файла: ничего не записано" %}
      {% else %}{% translate "Импорт выполнен" %}{% endif %}</h2>
  <p>{{ file_name }} — {{ kind_label }}{% if not result.unusable %},
    {% translate "строк с данными" %}: {{ result.rows }}{% endif %}</p>
  {% if result.unusable %}
    <p class="errornote">{% translate "Файл не принят, ничего не импортировано." %} {{ result.unusable }}</p>
  {% else %}
    {% if interrupted %}<p class="errornote">{{ interrupted }}</p>{% endif %}
    <table><tbody>
      {% for label, n in counts %}<tr><th>{{ label|capfirst }}</th><td>{{ n }}</td></tr>{% endfor %}
    </tbody></table>
    {% for note in result.notes %}<p>{{ note }}</p>{% endfor %}
    {% if errors %}
      <h3>{% translate "Отклонённые строки" %}{% if report_url %} —
        <a href="{{ report_url }}">{% translate "скачать отчёт (CSV)" %}</a>{% endif %}</h3>
      <table>
        <thead><tr><th>{% translate "Строка" %}</th><th>{% translate "Столбец" %}</th>
          <th>{% translate "Причина" %}</th></tr></thead>
        <tbody>{% for e in errors %}<tr><td>{{ e.row }}</td><td>{{ e.column }}</td><td>{{ e.reason }}</td></tr>
        {% endfor %}</tbody>
      </table>
      {% if result.errors|length > errors|length %}
        <p>{% translate "Показаны первые строки; полный список — в отчёте." %}</p>
      {% endif %}
    {% endif %}
    {% if token %}
      <form method="post">{% csrf_token %}<input type="hidden" name="token" value="{{ token }}">
        {% if result.errors %}
          <p>{% translate "Отклонённые строки импортированы не будут, остальные — будут." %}</p>
        {% endif %}
        <div class="submit-row"><input type="submit" class="default" value="{% translate 'Импортировать' %}"></div>
      </form>
    {% endif %}
  {% endif %}
{% endif %}
{% if not token %}
  <form method="post" enctype="multipart/form-data">{% csrf_token %}
    <fieldset class="module aligned">{% for field in form %}
      <div class="form-row">{{ field.errors }}
        <label for="{{ field.id_for_label }}">{{ field.label }}:</label> {{ field }}
        {% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}</div>
    {% endfor %}</fieldset>
    <div class="submit-row"><input type="submit" class="default" value="{% translate 'Проверить' %}"></div>
  </form>
{% endif %}
{% endblock %}"""
