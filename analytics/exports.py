"""The analytics tables as CSV/XLSX exports (core.exports): "analytics.funnel", "analytics.money" and
"analytics.time", each with the page's filters and the same access rules. A table is not a queryset,
so the rows are a `selectors.Rows`, which core.exports counts and iterates like one; it is computed
when the file is built, with the figures of that moment."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.forms import AnalyticsFilterForm
from core.exports import register_export


def _filters(user, params, *, money: bool = False) -> selectors.Filters:
    allowed = selectors.may_see_money(user) if money else selectors.may_view_analytics(user)
    if not (user.is_authenticated and allowed):
        raise PermissionDenied
    return AnalyticsFilterForm.for_user(user, params).filters()


def _funnel(user, params):
    filters = _filters(user, params)
    return selectors.Rows(lambda: selectors.funnel(user, filters).steps)


def _money(user, params):
    filters = _filters(user, params, money=True)
    return selectors.Rows(lambda: selectors.money(user, filters))


def _time(user, params):
    filters = _filters(user, params)
    return selectors.Rows(lambda: selectors.times(user, filters).rows)


register_export(
    "analytics.funnel",
    title=_("Воронка заявок"),
    columns=[
        (_("Шаг"), "position"), (_("Этап"), "label"), (_("Заявок"), "count"),
        (_("Конверсия из предыдущего шага, %"), "of_previous"), (_("Доля от всех заявок, %"), "of_first"),
    ],
    queryset=_funnel,
)

register_export(
    "analytics.money",
    title=_("Квоты и акты по партнёрам"),
    columns=[
        (_("Образовательный партнёр"), "partner"), (_("Договоров"), "contracts"),
        (_("Квота, ₽"), "quota_money"), (_("Квота, мест"), "quota_seats"),
        (_("Зарезервировано, ₽"), "reserved_money"), (_("Зарезервировано, мест"), "reserved_seats"),
        (_("Актов"), "acts_count"), (_("Сумма всех актов, ₽"), "acts_money"),
        (_("Актов, подписанных сторонами"), "signed_acts_count"),
        (_("Сумма подписанных актов, ₽"), "signed_acts_money"),
        (_("Остаток квоты, ₽"), "remaining_money"), (_("Остаток квоты, мест"), "remaining_seats"),
    ],
    queryset=_money,
)

register_export(
    "analytics.time",
    title=_("Сроки"),
    columns=[
        (_("Показатель"), "measure"), (_("Образовательный партнёр"), "partner"), (_("Случаев"), "count"),
        (_("Медиана, дней"), "median_days"),
    ],
    queryset=_time,
)
