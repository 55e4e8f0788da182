"""Mass notifications (reference §7.4): partner staff compose a message to the citizens of the
applications list's current filter (or of a cohort), see a preview with the recipients and the
e-mail, and confirm; «Отправленные» logs every mailing with its recipients and each e-mail's
delivery. Partner staff compose and send; partner staff and the operator read the log; a cohort
the user may not see is 404, any other role 403.
"""
from uuid import uuid4

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.access import get_for_user_or_404, require
from enrollment.forms import column_search
from enrollment.forms_messages import MessageConfirmForm, MessageForm, MessageSearchForm, audience_initial
from enrollment.models import CitizenMessage
from enrollment.permissions import may_read_messages, may_send_messages
from enrollment.services import messages as services
from programs.models import Cohort

PAGE_SIZE = 50
RECIPIENTS_PAGE_SIZE = 100


def _audience_cohort(request, data) -> Cohort | None:
    """The cohort named by the querystring or the form: 404 unless the user sees it."""
    value = str(data.get("cohort") or "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_for_user_or_404(Cohort.objects.select_related("program__partner"), request.user, pk=value)


def _sender(data, cohort, partners):
    """The organisation the message goes out from: the cohort's, the one chosen, or the only one."""
    if cohort is not None:
        return cohort.program.partner
    partners = list(partners)
    chosen = [p for p in partners if str(p.pk) == str(data.get("partner", ""))]
    if chosen:
        return chosen[0]
    return partners[0] if len(partners) == 1 else None


def _summary(request, data, cohort, partners) -> dict:
    """Whom the message would reach, before it is written: description and number, or the refusal."""
    partner = _sender(data, cohort, partners)
    if partner is None:
        return {}
    params = services.audience_params(status=data.get("status", ""), cohort=cohort, search=data.get("q", ""),
                                      column_search=column_search(data))
    try:
        applications = services.message_audience(user=request.user, partner=partner, params=params)
    except ValidationError as error:
        return {"error": " ".join(error.messages)}
    return {"partner": partner, "description": services.audience_description(user=request.user, params=params),
            "count": services.audience_count(applications),
            "list_url": reverse("enrollment:application_list") + _querystring(params)}


def _querystring(params: dict) -> str:
    """`?status=…&cohort=…&q=…&s_<column>=…` of an audience: the list's own parameters."""
    query = QueryDict(mutable=True)
    for key in ("status", "cohort", "q"):
        if params.get(key):
            query[key] = params[key]
    for key, text in (params.get("columns") or {}).items():
        query[f"s_{key}"] = text
    return f"?{query.urlencode()}" if query else ""


def _compose(request, form, cohort, partners):
    data = form.data if form.is_bound else {**request.GET.dict(), **form.initial}
    return render(request, "enrollment/message_compose.html", {
        "form": form, "cohort": cohort, "audience": _summary(request, data, cohort, partners),
        "max_recipients": services.max_recipients()})


def _preview(request, form, cohort, partners):
    """The preview and confirmation page for a valid message form; the compose page with the
    refusal otherwise."""
    data = form.cleaned_data
    try:
        preview = services.message_preview(user=request.user, partner=data["partner"], params=form.audience_params(),
                                           subject=data["subject"], body=data["body"])
    except ValidationError as error:
        form.add_error(None, error)
        return _compose(request, form, cohort, partners)
    confirm = MessageConfirmForm(partners=partners, cohort=cohort, initial={
        **{name: data.get(name) for name in form.fields}, "idempotency_key": uuid4(), "expected_count": preview.count})
    return render(request, "enrollment/message_preview.html", {
        "form": confirm, "preview": preview, "partner": data["partner"], "subject": data["subject"],
        "more": max(0, preview.count - len(preview.sample))})


@require_http_methods(["GET", "HEAD", "POST"])
def message_compose(request):
    """GET: the message form with the audience from the list's querystring (or `?cohort=`); POST:
    the preview with a confirmation (or, with `edit`, the form again to change the text)."""
    require(may_send_messages(request.user))
    cohort = _audience_cohort(request, request.POST if request.method == "POST" else request.GET)
    partners = services.sender_partners(request.user)
    if request.method != "POST":
        form = MessageForm(initial=audience_initial(request.GET), partners=partners, cohort=cohort)
        return _compose(request, form, cohort, partners)
    form = MessageForm(request.POST, partners=partners, cohort=cohort)
    if "edit" in request.POST or not form.is_valid():
        return _compose(request, form, cohort, partners)
    return _preview(request, form, cohort, partners)


@require_POST
def message_send(request):
    """The preview's «Отправить»: one mailing per idempotency key, then its page."""
    require(may_send_messages(request.user))
    cohort = _audience_cohort(request, request.POST)
    partners = services.sender_partners(request.user)
    form = MessageConfirmForm(request.POST, partners=partners, cohort=cohort)
    compose = MessageForm(request.POST, partners=partners, cohort=cohort)
    if not form.is_valid():
        return _compose(request, compose, cohort, partners)
    data = form.cleaned_data
    try:
        message = services.message_send(
            actor=request.user, partner=data["partner"], subject=data["subject"], body=data["body"],
            params=form.audience_params(), idempotency_key=data["idempotency_key"],
            expected_count=data["expected_count"])
    except services.AudienceChanged as error:
        messages.warning(request, " ".join(error.messages))
        return _preview(request, compose, cohort, partners) if compose.is_valid() else _compose(
            request, compose, cohort, partners)
    except ValidationError as error:
        if compose.is_valid():
            compose.add_error(None, error)
        return _compose(request, compose, cohort, partners)
    messages.success(request, _("Уведомление отправлено. Получателей: %(count)s.") % {
        "count": message.recipients_count})
    return redirect(message)


@require_safe
def message_list(request):
    """«Отправленные»: the mailings of the user's organisations (the operator: all), newest first."""
    require(may_read_messages(request.user))
    form = MessageSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(services.message_list_for(user=request.user, search=search), PAGE_SIZE).get_page(
        request.GET.get("page"))
    access = request.user.access
    return render(request, "enrollment/message_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "show_partner": access.sees_all_partners or len(access.partner_ids) > 1,
        "can_compose": may_send_messages(request.user)})


@require_safe
def message_detail(request, pk):
    """A mailing: its text, audience and sender, and each recipient with the e-mail's delivery."""
    if not may_read_messages(request.user):
        raise Http404
    message = get_for_user_or_404(CitizenMessage.objects.select_related("partner", "sender"), request.user, pk=pk)
    page = Paginator(services.recipient_rows(message), RECIPIENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    can_repeat = may_send_messages(request.user) and message.partner_id in request.user.access.partner_ids
    return render(request, "enrollment/message_detail.html", {
        "message": message, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "delivery": services.delivery_counts(message),
        "repeat_url": reverse("enrollment:message_compose") + _querystring(message.filters) if can_repeat else ""})
