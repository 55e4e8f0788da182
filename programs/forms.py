"""Forms of the program pages: the list's filters, the partner's card, and one small form per
decision. Forms validate input only; the services decide."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Region
from programs.models import CitizenCategory, Program

SORT_CHOICES = [
    ("title", _("Название (А–Я)")), ("-title", _("Название (Я–А)")),
    ("status", _("Статус")), ("-status", _("Статус (с конца)")),
    ("next_start", _("Старт ближайшего потока")), ("-next_start", _("Старт ближайшего потока (поздние)")),
]


class ProgramFilterForm(forms.Form):
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Название или ID в Odin")}))
    status = forms.ChoiceField(label=_("Статус"), required=False,
                               choices=[("", _("Все статусы")), *Program.Status.choices])
    kind = forms.ChoiceField(label=_("Вид программы"), required=False,
                             choices=[("", _("Все виды")), *Program.Kind.choices])
    region = forms.ModelChoiceField(label=_("Регион согласования"), required=False, queryset=Region.objects.all(),
                                    empty_label=_("Все регионы"))
    partner = forms.ModelChoiceField(label=_("Образовательный партнёр"), required=False,
                                     queryset=Organization.objects.none(), empty_label=_("Все партнёры"))
    sort = forms.ChoiceField(label=_("Сортировка"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, partners=None, **kwargs):
        """`partners`: the organisations the partner filter offers (the operator's); None hides it."""
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"search": data.get("q", ""), "status": data.get("status", ""), "kind": data.get("kind", ""),
                "region": data.get("region"), "partner": data.get("partner"), "sort": data.get("sort") or "title"}


class ProgramForm(forms.ModelForm):
    """What the partner fills in; the Odin part and the status are not fields here."""

    class Meta:
        model = Program
        fields = ("implementation_form", "network_partner_name", "rr_direction", "rr_profession",
                  "education_level", "qualification_level", "with_internship", "resource_intensive",
                  "citizen_categories", "employer_info", "contact_email", "contact_phone")
        widgets = {
            "implementation_form": forms.RadioSelect,
            "citizen_categories": forms.CheckboxSelectMultiple(attrs={"data-select-all-group": "categories"}),
            "employer_info": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "network_partner_name": _("Только для сетевой формы реализации."),
            "qualification_level": _("Уровень квалификации по профессиональному стандарту."),
            "contact_email": _("Если не заполнено, берётся e-mail из карточки организации."),
            "contact_phone": _("Если не заполнено, берётся телефон из карточки организации."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["citizen_categories"].queryset = CitizenCategory.objects.all()
        self.fields["education_level"].choices = [("", _("— не выбран —")), *Program.EducationLevel.choices]

    def clean(self):
        data = super().clean()
        if (data.get("implementation_form") == Program.ImplementationForm.NETWORK
                and not data.get("network_partner_name")):
            self.add_error("network_partner_name", _("Укажите сетевого партнёра."))
        return data


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Комментарий"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class RequiredCommentForm(forms.Form):
    comment = forms.CharField(label=_("Комментарий"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("Комментарий обязателен.")})


class ApproveForm(forms.Form):
    regions = forms.ModelMultipleChoiceField(
        label=_("Регионы для согласования"), queryset=Region.objects.all(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Выберите хотя бы один регион для согласования.")},
        help_text=_("Службы занятости этих регионов получат программу на согласование."))
    comment = forms.CharField(label=_("Комментарий"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class RegionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Согласовать")), ("decline", _("Не согласовать"))])
    comment = forms.CharField(label=_("Комментарий"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ThreadCommentForm(forms.Form):
    text = forms.CharField(label=_("Сообщение"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Напишите текст комментария.")})
