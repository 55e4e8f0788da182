"""The orders list as a background CSV/XLSX export (core.exports), with the list's filters, and the
small synchronous CSV of one order's lines still to enter on РР (the re-keying dashboard's link)."""
import csv
import io

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import FORMULA_PREFIXES, register_export
from orders import selectors
from orders.forms import OrderFilterForm
from orders.permissions import may_view_orders


def _orders(user, params):
    if not may_view_orders(user):
        raise PermissionDenied
    form = OrderFilterForm(params, cohorts=selectors.cohort_choices(user))
    return selectors.order_list_for(user=user, **form.filters())


register_export(
    "orders.orders",
    title=gettext_lazy("Приказы"),
    columns=[(gettext_lazy("Номер"), "number"), (gettext_lazy("Дата"), "order_date"),
             (gettext_lazy("Вид приказа"), "kind_display"), (gettext_lazy("Дата отчисления"), "expelled_on"),
             (gettext_lazy("Поток (ID в Odin)"), "cohort.odin_id"),
             (gettext_lazy("Начало обучения"), "cohort.start_date"), (gettext_lazy("Программа"), "cohort.program"),
             (gettext_lazy("Образовательный партнёр"), "partner.short_name"),
             (gettext_lazy("Заявок"), "application_count"),
             (gettext_lazy("Сформирован автоматически"), "is_automatic"),
             (gettext_lazy("Внесён на РР"), "rr_entered_at")],
    queryset=_orders,
)


def open_lines_csv(order, lines) -> bytes:
    """One order's open lines for the clerk, as Excel opens them in a Russian locale: UTF-8 with
    a BOM, `;` between cells, a cell that would run as a formula escaped (as core.exports does)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Номер заявки на РР"), _("ФИО"), _("Номер приказа"), _("Дата приказа"), _("Вид приказа")])
    for line in lines:
        writer.writerow([_escape(cell) for cell in (
            line.application.rr_number, line.application.citizen.full_name, order.number,
            f"{order.order_date:%d.%m.%Y}", order.kind_display)])
    return buffer.getvalue().encode("utf-8-sig")


def _escape(text: str) -> str:
    text = str(text)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
