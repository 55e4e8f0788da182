"""Forms of the cohort reporting pages. They validate input only; cohorts.services decide (who acts,
in which status, by which date, and whether the files are what they claim to be).

A form that uploads a signature carries its own confirmation (a required "confirmed" checkbox): the
no-JS confirmation page of partials/confirm_form.html cannot carry a file over.
"""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from cohorts.selectors import DEFAULT_SORT, SORTS, ActState, AssignmentState, ReportState
from enrollment.forms import ScanField

DATE_WIDGET = {"type": "date"}
SORT_CHOICES = [
    ("-end", _("Сначала поздно заканчивающиеся")), ("end", _("Сначала рано заканчивающиеся")),
    ("-start", _("Сначала поздно начинающиеся")), ("start", _("Сначала рано начинающиеся")),
    ("program", _("По программе")),
]


class CohortFilterForm(forms.Form):
    """The queue's toolbar: search, the state of each document kind, the partner (operator and
    auditors only), sorting."""

    q = forms.CharField(label=_("Поиск"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Программа, ID в Odin или партнёр")}))
    assignment = forms.ChoiceField(label=_("Задание"), required=False,
                                   choices=[("", _("Все")), *AssignmentState.CHOICES])
    act = forms.ChoiceField(label=_("Акты"), required=False, choices=[("", _("Все")), *ActState.CHOICES])
    report = forms.ChoiceField(label=_("Отчёты"), required=False, choices=[("", _("Все")), *ReportState.CHOICES])
    partner = forms.ModelChoiceField(label=_("Образовательный партнёр"), required=False, queryset=None,
                                     empty_label=_("Все партнёры"))
    sort = forms.ChoiceField(label=_("Сортировка"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, with_partner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_partner:
            self.fields["partner"].queryset = Organization.objects.filter(
                kind=Organization.Kind.PARTNER).order_by("short_name", "pk")
        else:
            del self.fields["partner"]

    def filters(self) -> dict:
        """Keyword arguments of selectors.cohort_queue."""
        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or DEFAULT_SORT
        return {"search": data.get("q", ""), "assignment": data.get("assignment", ""), "act": data.get("act", ""),
                "report": data.get("report", ""), "partner": data.get("partner"),
                "sort": sort if sort in SORTS else DEFAULT_SORT}


class _ConfirmedForm(forms.Form):
    confirmed = forms.BooleanField(label=_("Подтверждаю"), required=True,
                                   widget=forms.CheckboxInput(attrs={"value": "1"}),
                                   error_messages={"required": _("отметьте подтверждение перед загрузкой.")})


class SignatureForm(_ConfirmedForm):
    """A detached signature of a downloaded PDF (assignment, report)."""

    field_order = ["file", "confirmed"]

    file = forms.FileField(label=_("Файл открепленной подписи (.sig)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".sig,.sgn,.p7s"}),
                           help_text=_("Подпись в формате CMS/PKCS#7, не более 1 МБ."))

    def __init__(self, *args, confirm_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed"].label = confirm_label or _("Подпись сделана на скачанном PDF этого документа")


class ActPartnerSignForm(SignatureForm):
    """The partner's signature of the act and the invoice scan."""

    field_order = ["file", "invoice", "confirmed"]

    invoice = ScanField(label=_("Скан счёта (PDF, JPEG или PNG; несколько страниц — одним документом)"),
                        help_text=_("Счёт от текущей даты, подписанный уполномоченным лицом и заверенный печатью."))


class ActOperatorSignForm(SignatureForm):
    """The operator's counter-signature with the act's date."""

    field_order = ["file", "act_date", "confirmed"]

    act_date = forms.DateField(label=_("Дата акта"), widget=forms.DateInput(DATE_WIDGET, format="%Y-%m-%d"),
                               help_text=_("После окончания обучения и не позже сегодняшнего дня."))


class JournalUploadForm(forms.Form):
    """The journal (one PDF) and the ФИС ФРДО screenshots (one or several files); replacing a
    rejected package, the answer to the operator's remarks."""

    journal = forms.FileField(label=_("Журнал регистрации выданных документов о квалификации (PDF)"),
                              widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}))
    screenshots = ScanField(label=_("Скриншоты из ФИС ФРДО (PNG, JPEG или PDF; можно выбрать несколько)"),
                            help_text=_("Скриншоты с информацией о внесении сведений о документах о квалификации "
                                        "в федеральный реестр."))
    comment = forms.CharField(label=_("Ответ на замечания"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Что заменено: ответ увидит федеральный оператор в истории потока."))

    def __init__(self, *args, replacing: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not replacing:
            del self.fields["comment"]


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Замечания"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                              help_text=_("Перечислите, что нужно исправить или заменить: замечания увидит партнёр."))


class AnswerForm(forms.Form):
    comment = forms.CharField(label=_("Ответ на замечания"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Что исправлено: ответ увидит федеральный оператор."))


class RemarkForm(forms.Form):
    text = forms.CharField(label=_("Замечание или ответ"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    act = forms.ModelChoiceField(label=_("Акт"), required=False, queryset=None, empty_label=_("По потоку в целом"))

    def __init__(self, *args, acts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["act"].queryset = acts
        self.fields["act"].label_from_instance = lambda act: str(act)
