"""Forms of the money side: the contract form and list filter, signature uploads, registration,
add-on agreements and cost proposals. Forms check shape; services check the rules again."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Campaign
from programs import selectors_contracts as selectors
from programs.models import TrainingContract
from programs.services.contracts import ANALOGUE_FIELDS, ANALOGUES_REQUIRED, clean_analogues


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProgramChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.title} — {obj.get_kind_display()}, {obj.academic_hours} ч."


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Поиск"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Номер, партнёр или ИНН")}))
    status = forms.ChoiceField(label=_("Статус"), required=False,
                               choices=[("", _("Все статусы")), *TrainingContract.Status.choices])
    partner = forms.ModelChoiceField(label=_("Партнёр"), required=False, queryset=None,
                                     empty_label=_("Все партнёры"))
    campaign = forms.ModelChoiceField(label=_("Кампания"), required=False, queryset=Campaign.objects.all(),
                                      empty_label=_("Все кампании"))
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput,
                             choices=[(key, key) for key in selectors.CONTRACT_SORTS])

    def __init__(self, *args, with_partner: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_partner:
            self.fields["partner"].queryset = selectors.contract_partner_filter_choices()
        else:
            del self.fields["partner"]


class ContractPartnerForm(forms.Form):
    """Step one of the contract form: a partner with programs awaiting a contract."""

    partner = forms.ModelChoiceField(label=_("Образовательный партнёр"), queryset=None,
                                     empty_label=_("Выберите партнёра"),
                                     help_text=_("Партнёры, у которых есть программы, ожидающие договора."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = selectors.partners_awaiting_contract()


class ContractForm(ContractPartnerForm):
    """Step two: the contract's terms and the partner's programs (all pre-selected)."""

    campaign = forms.ModelChoiceField(label=_("Кампания"), queryset=Campaign.objects.filter(is_active=True))
    number = forms.CharField(label=_("Номер договора"), max_length=60)
    contract_date = forms.DateField(label=_("Дата договора"), widget=DateInput)
    valid_until = forms.DateField(label=_("Действует до"), widget=DateInput)
    quota_money = forms.DecimalField(label=_("Квота, руб."), min_value=1, max_digits=14, decimal_places=2)
    quota_seats = forms.IntegerField(label=_("Квота, мест"), min_value=1)
    programs = ProgramChoiceField(label=_("Программы"), queryset=None)

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].widget = forms.HiddenInput()
        programs = selectors.programs_without_contract(partner=partner)
        self.fields["programs"].queryset = programs
        if not self.is_bound:
            self.initial.setdefault("partner", partner.pk)
            self.initial.setdefault("programs", [p.pk for p in programs])
            first = programs.select_related("campaign").first()
            if first is not None:
                self.initial.setdefault("campaign", first.campaign_id)

    def clean(self):
        data = super().clean()
        start, end = data.get("contract_date"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("Срок действия не может закончиться раньше даты договора."))
        return data


class SignatureForm(forms.Form):
    file = forms.FileField(label=_("Файл открепленной подписи (.sig)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".sig,.sgn,.p7s"}),
                           help_text=_("Подпись в формате CMS/PKCS#7, не более 1 МБ."))


class RegisterForm(forms.Form):
    number = forms.CharField(label=_("Реестровый номер на Госзакупках"), max_length=60)
    date = forms.DateField(label=_("Дата регистрации"), widget=DateInput)


class AddOnProgramsForm(forms.Form):
    programs = ProgramChoiceField(label=_("Программы"), queryset=None)

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programs"].queryset = programs
        if not self.is_bound:
            self.initial.setdefault("programs", [p.pk for p in programs])


class AddOnDateForm(forms.Form):
    signed_on = forms.DateField(label=_("Дата подписания (из электронной подписи)"), widget=DateInput)


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("Причина отклонения"), widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=4000, help_text=_("Её увидит образовательный партнёр."))


class CostProposalForm(forms.Form):
    """Price, justification, up to three analogous programs, the cost calculation PDF."""

    valid_from = forms.DateField(label=_("Действует с"), widget=DateInput)
    price = forms.DecimalField(label=_("Стоимость обучения одного человека, руб."), min_value=0.01,
                               max_digits=12, decimal_places=2)
    need_justification = forms.CharField(
        label=_("Обоснование потребности"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Потребность региона или отрасли, письма органов власти или работодателей с реквизитами, "
                    "вакансии с датой, количеством и источником."))
    uniqueness_justification = forms.CharField(
        label=_("Обоснование уникальности"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Обязательно, если аналогичных программ меньше трёх или стоимость выше рыночной."))
    calculation_file = forms.FileField(label=_("Расчёт стоимости (PDF, до 30 МБ)"),
                                       widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))

    ANALOGUE_LABELS = {"title": _("название программы"), "organization": _("организация"),
                       "url": _("ссылка"), "price": _("стоимость, руб.")}

    def __init__(self, *args, calculation_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calculation_file"].required = calculation_required
        if not calculation_required:
            self.fields["calculation_file"].help_text = _("Оставьте пустым, чтобы сохранить прежний расчёт.")
        for index in range(1, ANALOGUES_REQUIRED + 1):
            for key in ANALOGUE_FIELDS:
                label = _("Аналог %(n)s: %(field)s") % {"n": index, "field": self.ANALOGUE_LABELS[key]}
                self.fields[f"analogue_{index}_{key}"] = (
                    forms.URLField(label=label, required=False, max_length=500, assume_scheme="https")
                    if key == "url" else forms.CharField(label=label, required=False, max_length=500))

    def analogue_rows(self):
        """The analogue fields grouped by row, for the template."""
        return [[self[f"analogue_{i}_{key}"] for key in ANALOGUE_FIELDS] for i in range(1, ANALOGUES_REQUIRED + 1)]

    def clean(self):
        data = super().clean()
        analogues = [{key: data.get(f"analogue_{i}_{key}", "") for key in ANALOGUE_FIELDS}
                     for i in range(1, ANALOGUES_REQUIRED + 1)]
        try:
            data["analogues"] = clean_analogues(analogues, data.get("uniqueness_justification", ""))
        except forms.ValidationError as error:
            self.add_error(None, error)
        return data

    @classmethod
    def initial_from(cls, proposal) -> dict:
        initial = {"valid_from": proposal.valid_from, "price": proposal.price,
                   "need_justification": proposal.need_justification,
                   "uniqueness_justification": proposal.uniqueness_justification}
        for index, analogue in enumerate(proposal.analogues[:ANALOGUES_REQUIRED], start=1):
            for key in ANALOGUE_FIELDS:
                initial[f"analogue_{index}_{key}"] = analogue.get(key, "")
        return initial

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"valid_from": data["valid_from"], "price": data["price"],
                "need_justification": data["need_justification"], "analogues": data["analogues"],
                "uniqueness_justification": data.get("uniqueness_justification", ""),
                "calculation_file": data.get("calculation_file")}


class CostProposalCreateForm(CostProposalForm):
    program = forms.ModelChoiceField(label=_("Программа"), queryset=None, empty_label=_("Выберите программу"))

    field_order = ["program"]

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.order_fields(["program"])
