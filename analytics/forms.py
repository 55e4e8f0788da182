"""The analytics page's filters. Choices come from analytics.selectors.filter_choices (a few small
queries); every field is a plain ChoiceField, so validating a value costs no further query. An
unknown value is ignored (the filter is off), never an error page.

The operator's partner list holds every partner of a national campaign (2,000): it is drawn by
`PlainSelect`, one string join instead of a template per option. The program list appears for the
operator and auditors only once a partner is chosen (the form is sent again, no script)."""
import datetime as dt

from django import forms
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from core.widgets import PlainSelect


class AnalyticsFilterForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Кампания"), required=False, widget=PlainSelect)
    region = forms.ChoiceField(label=_("Регион"), required=False, widget=PlainSelect)
    partner = forms.TypedChoiceField(label=_("Образовательный партнёр"), required=False, coerce=int,
                                     empty_value=None, widget=PlainSelect)
    program = forms.TypedChoiceField(label=_("Программа"), required=False, coerce=int, empty_value=None,
                                     widget=PlainSelect)
    category = forms.ChoiceField(label=_("Категория граждан"), required=False, widget=PlainSelect)
    month = forms.ChoiceField(label=_("Месяц начала потока"), required=False, widget=PlainSelect)

    def __init__(self, data: QueryDict, *, choices: selectors.FilterChoices):
        data = data.copy()
        data.pop("export_format", None)
        if choices.campaign is not None:
            data["campaign"] = str(choices.campaign.pk)  # the default is shown as chosen
        super().__init__(data)
        self.choices = choices
        self.fields["campaign"].choices = [(str(c.pk), c.title) for c in choices.campaigns]
        self.fields["region"].choices = [("", _("Все регионы")), *choices.regions]
        if choices.programs or choices.partners is None:
            self.fields["program"].choices = [("", _("Все программы")), *choices.programs]
        else:  # the operator without a partner chosen: no program list (see filter_choices)
            del self.fields["program"]
        self.fields["category"].choices = [("", _("Все категории")), *choices.categories]
        self.fields["month"].choices = [("", _("Все месяцы")), *(
            (f"{m:%Y-%m}", f"{MONTHS[m.month]} {m.year}") for m in choices.months)]
        if choices.partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].choices = [("", _("Все партнёры")), *choices.partners]

    @classmethod
    def for_user(cls, user, params: QueryDict) -> "AnalyticsFilterForm":
        choices = selectors.filter_choices(user, params.get("campaign", ""), params.get("partner", ""))
        return cls(params, choices=choices)

    def filters(self) -> selectors.Filters:
        self.is_valid()  # the valid fields are in cleaned_data even when another one is not
        data = self.cleaned_data
        month = data.get("month") or ""
        return selectors.Filters(
            campaign=self.choices.campaign,
            region=data.get("region") or "",
            partner=data.get("partner"),
            program=data.get("program") if "program" in self.fields else None,
            category=data.get("category") or "",
            month=dt.date(int(month[:4]), int(month[5:7]), 1) if month else None,
        )
