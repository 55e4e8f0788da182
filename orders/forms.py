"""Forms of the orders pages. Forms validate input only; orders.services decide (dates against the
cohort, unique numbers, the order mode, what may change once the order is entered on РР)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.forms import ScanField
from orders.models import Order
from orders.selectors import DEFAULT_SORT, SORTS
from orders.services.orders import Requisites

AUTOMATIC_CHOICES = [("", _("Все")), ("auto", _("Автоматические")), ("manual", _("Ручные"))]
DATE_WIDGET = {"type": "date"}


def cohort_label(cohort) -> str:
    """«#odin-17 · 02.03.2026 · Анализ данных» (the cohort's program comes select_related)."""
    return f"#{cohort.odin_id} · {cohort.start_date:%d.%m.%Y} · {cohort.program}"


class OrderFilterForm(forms.Form):
    """The list's toolbar: number search, type, basis, cohort, automatic or manual; `sort` comes from
    the column headings."""

    q = forms.CharField(label=_("Номер приказа"), required=False, max_length=60, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Начало номера")}))
    type = forms.ChoiceField(label=_("Тип"), required=False, choices=[("", _("Все типы")), *Order.Type.choices])
    basis = forms.ChoiceField(label=_("Основание"), required=False,
                              choices=[("", _("Все основания")), *Order.Basis.choices])
    cohort = forms.ModelChoiceField(label=_("Поток"), required=False, queryset=None, empty_label=_("Все потоки"))
    automatic = forms.ChoiceField(label=_("Формирование"), required=False, choices=AUTOMATIC_CHOICES)
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[(key, key) for key in SORTS])

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = cohort_label

    def filters(self) -> dict:
        """Keyword arguments of selectors.order_list_for."""
        data = self.cleaned_data if self.is_valid() else {}
        automatic = {"auto": True, "manual": False}.get(data.get("automatic", ""))
        return {"search": data.get("q", ""), "order_type": data.get("type", ""), "basis": data.get("basis", ""),
                "cohort": data.get("cohort"), "automatic": automatic, "sort": data.get("sort") or DEFAULT_SORT}


class RequisitesForm(forms.Form):
    number = forms.CharField(label=_("Номер приказа"), max_length=60)
    order_date = forms.DateField(label=_("Дата приказа"), widget=forms.DateInput(DATE_WIDGET, format="%Y-%m-%d"),
                                 help_text=_("Приказ о зачислении — не позднее дня начала обучения, приказ об "
                                             "отчислении — не раньше него."))
    expelled_on = forms.DateField(
        label=_("Дата отчисления"), required=False, widget=forms.DateInput(DATE_WIDGET, format="%Y-%m-%d"),
        help_text=_("Только для приказа об отчислении. Может отличаться от даты приказа, в прошлом или будущем."))


class OrderCreateForm(RequisitesForm):
    """A manual order for one of the user's partners' cohorts, with its scan now or later."""

    field_order = ["cohort", "type", "basis", "number", "order_date", "expelled_on", "scan"]

    cohort = forms.ModelChoiceField(label=_("Поток"), queryset=None, empty_label=_("Выберите поток"),
                                    help_text=_("Приказ выпускается на поток; назначить его можно заявкам этого "
                                                "потока."))
    type = forms.ChoiceField(label=_("Тип приказа"), choices=Order.Type.choices)
    basis = forms.ChoiceField(
        label=_("Основание отчисления"), required=False, choices=[("", _("—")), *Order.Basis.choices],
        help_text=_("Только для приказа об отчислении; основания в одном приказе не смешиваются."))
    scan = ScanField(label=_("Скан приказа (PDF, JPEG или PNG; можно загрузить позже)"), required=False)

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = cohort_label

    def requisites(self) -> Requisites:
        data = self.cleaned_data
        return Requisites(type=data["type"], number=data["number"], order_date=data["order_date"],
                          basis=data.get("basis") or "", expelled_on=data.get("expelled_on"))


class OrderEditForm(RequisitesForm):
    """Number and dates of an existing order (type and basis are fixed at creation)."""

    def __init__(self, *args, order: Order, **kwargs):
        kwargs.setdefault("initial", {"number": order.number, "order_date": order.order_date,
                                      "expelled_on": order.expelled_on})
        super().__init__(*args, **kwargs)
        self.order = order
        if order.type != Order.Type.EXPULSION:
            del self.fields["expelled_on"]

    def requisites(self) -> Requisites:
        data = self.cleaned_data
        return Requisites(type=self.order.type, basis=self.order.basis, number=data["number"],
                          order_date=data["order_date"], expelled_on=data.get("expelled_on"))


class OrderScanForm(forms.Form):
    """A new scan; once the order is entered on РР, with the confirmation that it matches."""

    files = ScanField(label=_("Скан приказа (PDF, JPEG или PNG; несколько фото — одним документом)"))
    confirmed = forms.BooleanField(
        label=_("Подтверждаю, что новый скан совпадает с данными, внесёнными на РР"), required=True,
        help_text=_("Номер, дата, тип, основание, программа и поток на скане те же, что внесены на портал "
                    "«Работа России»."))

    def __init__(self, *args, frozen: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not frozen:
            del self.fields["confirmed"]
