"""Forms of the mass notifications: the message with its audience (the applications list's filters
carried as hidden fields), and the confirmation that repeats it with an idempotency key."""
from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.models import Application
from enrollment.selectors import COLUMNS
from enrollment.services.messages import audience_params

AUDIENCE_FIELDS = ("status", "cohort", "q", *(f"s_{key}" for key in COLUMNS))


class MessageForm(forms.Form):
    """Subject and text, the sending organisation (a choice only for staff of several), and the
    audience: status, cohort, global search and per-column searches as on the applications list."""

    partner = forms.ModelChoiceField(label=_("От имени организации"), queryset=None, required=False)
    subject = forms.CharField(label=_("Тема"), max_length=200)
    body = forms.CharField(
        label=_("Текст уведомления"), max_length=5000, widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Только по обучению: рекламные рассылки запрещены. Контакты организации и ссылка на личный "
                    "кабинет добавляются в письмо автоматически."))
    status = forms.ChoiceField(label=_("Статус"), required=False, choices=[("", ""), *Application.Status.choices],
                               widget=forms.HiddenInput)
    cohort = forms.IntegerField(label=_("Поток"), required=False, min_value=1, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, partners, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        for key, column in COLUMNS.items():
            self.fields[f"s_{key}"] = forms.CharField(label=column.label, required=False, max_length=100,
                                                      widget=forms.HiddenInput)
        self.fields["partner"].queryset = partners
        choices = list(partners)
        # The organisation is implied by the cohort or by a single membership; a choice otherwise.
        self.implied_partner = cohort.program.partner if cohort is not None else (
            choices[0] if len(choices) == 1 else None)
        if self.implied_partner is not None:
            self.initial.setdefault("partner", self.implied_partner.pk)
            self.fields["partner"].widget = forms.HiddenInput()
        else:
            self.fields["partner"].required = True

    def clean(self):
        data = super().clean()
        implied = self.implied_partner
        if implied is not None and data.get("partner") is None and "partner" not in self.errors:
            data["partner"] = implied
        if implied is not None and data.get("partner") not in (None, implied):
            self.add_error("partner", _("Поток относится к другой образовательной организации."))
        return data

    def audience_params(self) -> dict:
        data = self.cleaned_data
        return audience_params(status=data.get("status", ""), cohort=data.get("cohort"), search=data.get("q", ""),
                               column_search={key: data.get(f"s_{key}") or "" for key in COLUMNS})


class MessageConfirmForm(MessageForm):
    """The preview's «Отправить»: everything hidden, plus the key that makes a second press a no-op
    and the number of citizens the sender saw."""

    idempotency_key = forms.UUIDField(label=_("Ключ отправки"), widget=forms.HiddenInput)
    expected_count = forms.IntegerField(label=_("Число получателей"), required=False, min_value=0,
                                        widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.HiddenInput()


def audience_initial(data) -> dict:
    """The audience fields' initial values from the applications list's querystring."""
    return {name: str(data.get(name, ""))[:200] for name in AUDIENCE_FIELDS if data.get(name)}


class MessageSearchForm(forms.Form):
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Тема, получатели или e-mail гражданина")}))
