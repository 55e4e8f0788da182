"""The analytics page (reference §7.3): the funnel, money and time of a campaign, each a chart drawn
on the server with its table beside it and a CSV export through core.exports (analytics.exports).
For the operator's national view the funnel and medians come from the summaries (analytics.models),
and the page says «данные на» the moment of their rebuild; otherwise they are live aggregates
(analytics.selectors), as of the request. The money and document check tables and charts show the
largest partners, «Остальные» and the total; the CSV exports have every partner."""
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from analytics import charts, selectors
from analytics.forms import AnalyticsFilterForm
from core.access import require


@require_safe
def overview(request):
    """Funnel, money and time for the chosen campaign and filters, as the user may see them."""
    require(selectors.may_view_analytics(request.user))
    form = AnalyticsFilterForm.for_user(request.user, request.GET)
    filters = form.filters()
    run = selectors.summary_run(request.user, filters)
    funnel = selectors.funnel(request.user, filters, run=run)
    show_money = selectors.may_see_money(request.user)
    money = selectors.bounded_money(selectors.money(request.user, filters), selectors.TOP) if show_money else []
    times = selectors.times(request.user, filters, run=run, top=selectors.TOP)
    return render(request, "analytics/overview.html", {
        "form": form, "campaign": filters.campaign, "as_of": run.built_at if run else timezone.now(),
        "from_summary": run is not None,
        "money_others": any(row.others for row in money), "money_shown": sum(1 for r in money if r.partner_id),
        "check_others": any(row.others for row in times.document_checks),
        "check_shown": sum(1 for row in times.document_checks if not (row.others or row.total)),
        "funnel": funnel, "money": money, "times": times, "show_money": show_money,
        "show_partner": "partner" in form.fields,
        "export_params": [(name, form[name].value()) for name in form.fields if form[name].value()],
        "funnel_chart": _funnel_chart(funnel),
        "money_chart": _money_chart(money),
        "time_chart": _time_chart(times),
    })


def _number(value, decimals=None) -> str:
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def _funnel_chart(funnel: selectors.Funnel):
    bars = []
    for step in funnel.steps:
        share = "" if step.of_first is None or step.position == 1 else f" ({_number(step.of_first)} %)"
        title = _("%(label)s: %(count)s") % {"label": step.label, "count": _number(step.count)}
        if step.of_previous is not None:
            title += _(" — %(share)s %% от предыдущего шага") % {"share": _number(step.of_previous)}
        bars.append(charts.Bar(step.label, step.count, _number(step.count) + share, title))
    return charts.bar_chart(bars, label=_("Воронка заявок"))


def _money_chart(rows: list[selectors.MoneyRow]):
    stacks = []
    for row in rows:
        if row.total or not row.quota_money:
            continue
        signed = min(row.signed_acts_money, row.reserved_money)
        stacks.append(charts.Stack(row.partner, [
            charts.Segment(signed, "used", _("В подписанных актах: %(sum)s ₽") % {"sum": _number(signed, 2)}),
            charts.Segment(row.reserved_money - signed, "reserved", _("Зарезервировано, ещё не в подписанных актах: "
                                                                      "%(sum)s ₽") % {
                "sum": _number(row.reserved_money - signed, 2)}),
            charts.Segment(max(row.remaining_money, 0), "free",
                           _("Остаток квоты: %(sum)s ₽") % {"sum": _number(row.remaining_money, 2)}),
        ], _("%(share)s %% квоты") % {"share": _number(row.reserved_share or 0)}))
    return charts.stacked_chart(stacks, label=_("Использование квот по договорам")) if stacks else ""


def _time_chart(times: selectors.Times):
    bars = [charts.Bar(row.partner, row.median_days or 0, _("%(days)s дн.") % {"days": _number(row.median_days)},
                       _("%(partner)s: медиана %(days)s дн., документов: %(count)s") % {
                           "partner": row.partner, "days": _number(row.median_days), "count": _number(row.count)})
            for row in times.document_checks]
    return charts.bar_chart(bars, label=_("Медиана проверки документов по партнёрам")) if bars else ""
