"""The analytics page's filters. Choices come from analytics.selectors.filter_choices (a few small
queries); every field is a plain ChoiceField, so validating a value costs no further query. An
unknown value is ignored (the filter is off), never an error page."""
import datetime as dt

from django import forms
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from analytics import selectors


class AnalyticsFilterForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Кампания"), required=False)
    region = forms.ChoiceField(label=_("Регион"), required=False)
    partner = forms.TypedChoiceField(label=_("Образовательный партнёр"), required=False, coerce=int,
                                     empty_value=None)
    program = forms.TypedChoiceField(label=_("Программа"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Категория граждан"), required=False)
    month = forms.ChoiceField(label=_("Месяц начала потока"), required=False)

    def __init__(self, data: QueryDict, *, choices: selectors.FilterChoices):
        data = data.copy()
        data.pop("export_format", None)
        if choices.campaign is not None:
            data["campaign"] = str(choices.campaign.pk)  # the default is shown as chosen
        super().__init__(data)
        self.choices = choices
        self.fields["campaign"].choices = [(str(c.pk), c.title) for c in choices.campaigns]
        self.fields["region"].choices = [("", _("Все регионы")), *choices.regions]
        self.fields["program"].choices = [("", _("Все программы")), *choices.programs]
        self.fields["category"].choices = [("", _("Все категории")), *choices.categories]
        self.fields["month"].choices = [("", _("Все месяцы")), *(
            (f"{m:%Y-%m}", f"{MONTHS[m.month]} {m.year}") for m in choices.months)]
        if choices.partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].choices = [("", _("Все партнёры")), *choices.partners]

    @classmethod
    def for_user(cls, user, params: QueryDict) -> "AnalyticsFilterForm":
        return cls(params, choices=selectors.filter_choices(user, params.get("campaign", "")))

    def filters(self) -> selectors.Filters:
        self.is_valid()  # the valid fields are in cleaned_data even when another one is not
        data = self.cleaned_data
        month = data.get("month") or ""
        return selectors.Filters(
            campaign=self.choices.campaign,
            region=data.get("region") or "",
            partner=data.get("partner"),
            program=data.get("program"),
            category=data.get("category") or "",
            month=dt.date(int(month[:4]), int(month[5:7]), 1) if month else None,
        )
