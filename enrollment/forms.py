"""Forms of the partner's application pages. Forms validate input only; the services decide."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import PlainSelect
from documents.validators import SCAN_ACCEPT
from enrollment.models import Application, ApplicationDocument, Citizen
from enrollment.selectors import COLUMNS, DEFAULT_SORT
from enrollment.services.staff import EDITABLE_FIELDS, REPLACEABLE_KINDS

# More cohorts than this, and the list's cohort filter is a box for the cohort's Odin number.
COHORT_OPTIONS = 300


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScanField(forms.FileField):
    """One document as one or several files (pages); checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": SCAN_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            single(None, initial)  # "required" when it is
            return []
        return [single(item, initial) for item in items]


class ApplicationFilterForm(forms.Form):
    """The list's toolbar: global search, status, cohort; the columns and per-column search
    (`s_<column>`) come as further GET parameters, read by `column_search()`.

    The cohort is chosen from a select of the user's cohorts, or, when they have more than
    COHORT_OPTIONS (the operator's 20,000 nationwide made a 1.8 MB page and 0.6 s of rendering), typed
    as its Odin number (`cohort_number`). `cohort` (the primary key) is what links and exports carry;
    when the toolbar's number box was sent, what it says wins (emptied, it drops the cohort)."""

    q = forms.CharField(label=_("Поиск"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Номер, ФИО, СНИЛС или e-mail")}))
    status = forms.ChoiceField(label=_("Статус"), required=False, widget=PlainSelect,
                               choices=[("", _("Все статусы")), *Application.Status.choices])
    cohort = forms.ModelChoiceField(label=_("Поток"), required=False, queryset=None, empty_label=_("Все потоки"),
                                    widget=PlainSelect)
    cohort_number = forms.CharField(label=_("Поток"), required=False, max_length=64, widget=forms.TextInput(
        attrs={"placeholder": _("Номер потока в Odin")}))
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts

    def clean(self):
        data = super().clean()
        if "cohort_number" in self.data:
            self.errors.pop("cohort", None)  # the box decides: the cohort it replaces no longer matters
            number = data.get("cohort_number", "")
            data["cohort"] = self.fields["cohort"].queryset.filter(odin_id=number).first() if number else None
            if number and data["cohort"] is None:
                self.add_error("cohort_number", _("Поток с номером «%(number)s» не найден среди ваших потоков.")
                               % {"number": number})
        return data

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"search": data.get("q", ""), "status": data.get("status", ""), "cohort": data.get("cohort"),
                "sort": data.get("sort") or DEFAULT_SORT, "column_search": column_search(self.data)}

    def offer_cohorts(self) -> None:
        """Before the form is drawn: the cohort select's options (one plain query, at most
        COHORT_OPTIONS + 1 rows; a model choice field would read them through a server-side cursor,
        three round trips on PostgreSQL), or, for more, the number box showing the chosen cohort's."""
        field = self.fields["cohort"]
        options = list(field.queryset[:COHORT_OPTIONS + 1])
        if len(options) <= COHORT_OPTIONS:
            field.choices = [("", field.empty_label), *((c.pk, _cohort_choice_label(c)) for c in options)]
            del self.fields["cohort_number"]
            return
        field.widget = forms.HiddenInput()
        chosen = self.cleaned_data.get("cohort") if self.is_bound and self.is_valid() else None
        if chosen is not None and "cohort_number" not in self.data:  # came by a link: show its number
            self.data = self.data.copy()
            self.data["cohort_number"] = chosen.odin_id


def _cohort_choice_label(cohort) -> str:
    return f"#{cohort.odin_id} · {cohort.start_date:%d.%m.%Y} · {cohort.program.short_title or cohort.program.title}"


def column_search(data) -> dict:
    """{column: text} from the GET parameters `s_<column>` (unknown columns are ignored)."""
    return {key: str(data.get(f"s_{key}", ""))[:100] for key in COLUMNS if data.get(f"s_{key}")}


class ColumnSetForm(forms.Form):
    name = forms.CharField(label=_("Название набора колонок"), max_length=100)
    cols = forms.MultipleChoiceField(label=_("Колонки"), choices=[(c.key, c.label) for c in COLUMNS.values()])


class DocumentCheckForm(forms.Form):
    decision = forms.ChoiceField(label=_("Решение"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Подтвердить")), ("reject", _("Отклонить"))])
    comment = forms.CharField(label=_("Комментарий для гражданина"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Обязателен при отклонении: что не так и как исправить."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Укажите причину отклонения: её увидит гражданин."))
        return data


class CitizenDataForm(forms.ModelForm):
    """The citizen's data the partner may correct (SNILS and e-mail only through support)."""

    class Meta:
        model = Citizen
        fields = EDITABLE_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "passport_issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class DocumentReplaceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Документ"),
                             choices=[(k, ApplicationDocument.Kind(k).label) for k in REPLACEABLE_KINDS])
    files = ScanField(label=_("Новый файл (PDF, JPEG или PNG; несколько фото — одним документом)"))
    reason = forms.CharField(label=_("Основание замены"), required=False, max_length=500)


class ScanUploadForm(forms.Form):
    files = ScanField(label=_("Скан (PDF, JPEG или PNG)"))


class WithdrawalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Одобрить")), ("reject", _("Отклонить"))])
    comment = forms.CharField(label=_("Комментарий"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class QualificationForm(forms.Form):
    series = forms.CharField(label=_("Серия"), required=False, max_length=20)
    number = forms.CharField(label=_("Номер"), max_length=40)
    registration_number = forms.CharField(label=_("Регистрационный номер"), max_length=40)
    issued_on = forms.DateField(label=_("Дата выдачи"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = ScanField(label=_("Скан документа (можно загрузить позже)"), required=False)
