"""Program and cohort pages: the list, the program page (card, cohorts, regions, history,
comments, copy to РР), the partner's edit page, one POST view per decision, the cohort page.

Views fetch through core.access (404 when the program is not theirs to see), call one service
and turn its refusals into messages; a wrong role is the service's PermissionDenied (403)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.access import get_for_user_or_404, require
from programs import selectors
from programs.forms import (
    ApproveForm,
    CommentForm,
    ProgramFilterForm,
    ProgramForm,
    RegionDecisionForm,
    ThreadCommentForm,
)
from programs.models import Program, RegionalApproval
from programs.permissions import (
    MARK_LABELS,
    MARK_QUESTIONS,
    PARTNER_MARKS,
    is_program_partner,
    is_region_reviewer,
    may_review_programs,
    may_view_programs,
    operator_decision_open,
)
from programs.services import programs as services

PAGE_SIZE = 50


def _get_program(request, pk) -> Program:
    return get_for_user_or_404(selectors.program_detail_queryset(), request.user, pk=pk)


def _run(request, program, call, success: str, anchor: str = ""):
    """Run one service call; a refusal of the step becomes an error message, nothing changes."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect(program.get_absolute_url() + anchor)


def _comment(request) -> str:
    form = CommentForm(request.POST)
    return form.cleaned_data["comment"] if form.is_valid() else ""


# Pages ----------------------------------------------------------------------------------------

@require_safe
def program_list(request):
    """Programs the user may see: search, filters, status counters, sorting, pages of 50, CSV."""
    require(may_view_programs(request.user))
    form = ProgramFilterForm(request.GET or None, partners=selectors.program_partner_choices(user=request.user))
    filters = form.filters()
    page = Paginator(selectors.program_list_for(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    counts = selectors.program_status_counts(user=request.user, **{
        key: filters[key] for key in ("search", "kind", "region", "partner")})
    return render(request, "programs/program_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "counts": counts, "current_status": filters["status"], "sort": filters["sort"]})


@require_safe
def program_detail(request, pk):
    """The program page; every block a section, the actions computed from programs.permissions."""
    program = _get_program(request, pk)
    return render(request, "programs/program_detail.html", selectors.program_page_context(program, request.user))


@require_http_methods(["GET", "HEAD", "POST"])
def program_edit(request, pk):
    """The partner fills in its part of the card while it is editable."""
    program = _get_program(request, pk)
    require(is_program_partner(request.user, program))
    if not program.is_editable:
        messages.error(request, _("Программа в статусе «%(status)s»: карточку изменить нельзя.")
                       % {"status": program.get_status_display()})
        return redirect(program)
    form = ProgramForm(request.POST if request.method == "POST" else None, instance=program)
    if request.method == "POST" and form.is_valid():
        return _run(request, program, lambda: services.program_update(
            program=program, actor=request.user, data=form.cleaned_data), _("Карточка программы сохранена."))
    return render(request, "programs/program_edit.html", {
        "program": program, "form": form, "contacts": selectors.program_effective_contacts(program)})


@require_http_methods(["GET", "HEAD", "POST"])
def program_approve(request, pk):
    """The operator approves the program, ticking the regions whose employment services to ask."""
    program = _get_program(request, pk)
    require(may_review_programs(request.user))
    if request.method == "GET" and not operator_decision_open(program):
        messages.error(request, _("Программу нельзя одобрить в статусе «%(status)s».")
                       % {"status": program.get_status_display()})
        return redirect(program)
    initial = {"regions": [program.partner.region_id] if program.partner.region_id else []}
    form = ApproveForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        return _run(request, program, lambda: services.program_operator_approve(
            program=program, actor=request.user, regions=form.cleaned_data["regions"],
            comment=form.cleaned_data["comment"]), _("Программа одобрена и направлена на согласование в регионы."))
    return render(request, "programs/program_approve.html", {"program": program, "form": form})


@require_safe
def cohort_detail(request, pk):
    """A cohort: dates, quota, citizens who chose it, availability on РР, applications, history."""
    cohort = get_for_user_or_404(selectors.cohort_detail_queryset(), request.user, pk=pk)
    return render(request, "programs/cohort_detail.html", {
        "cohort": cohort, "program": cohort.program, "availability": selectors.cohort_availability_for(cohort),
        "chosen": selectors.cohort_chosen_count(cohort),
        "history": selectors.cohort_history_rows(cohort)})


# One POST per decision ------------------------------------------------------------------------

@require_POST
def program_send(request, pk):
    program = _get_program(request, pk)
    return _run(request, program, lambda: services.program_send_for_approval(
        program=program, actor=request.user, comment=_comment(request)), _("Программа отправлена на согласование."))


@require_POST
def program_reject(request, pk):
    program = _get_program(request, pk)
    return _run(request, program, lambda: services.program_reject(
        program=program, actor=request.user, comment=_comment(request)),
        _("Программа отклонена и возвращена партнёру."))


@require_POST
def program_region_decide(request, pk):
    """An employment-service reviewer approves or declines for one region (one RegionalApproval)."""
    approval = get_for_user_or_404(RegionalApproval.objects.select_related("program", "region"), request.user, pk=pk)
    require(is_region_reviewer(request.user, approval))
    form = RegionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Выберите решение: согласовать или не согласовать."))
        return redirect(approval.program.get_absolute_url() + "#regions")
    approve = form.cleaned_data["decision"] == "approve"
    done = (_("Программа согласована в регионе %(region)s.") if approve
            else _("Программа не согласована в регионе %(region)s.")) % {"region": approval.region}
    return _run(request, approval.program, lambda: services.regional_approval_decide(
        approval=approval, actor=request.user, approve=approve, comment=form.cleaned_data["comment"]),
        done, "#regions")


@require_POST
def program_mark(request, pk, action):
    """The partner's marks of its work on РР; `action` is checked against an allow-list."""
    if action not in PARTNER_MARKS:
        raise Http404
    program = _get_program(request, pk)
    if PARTNER_MARKS[action] and request.POST.get("confirmed") != "1":
        require(is_program_partner(request.user, program))
        return render(request, "partials/confirm_page.html", {
            "title": MARK_LABELS[action], "message": MARK_QUESTIONS.get(action, ""), "action": request.path,
            "label": MARK_LABELS[action], "cancel_url": program.get_absolute_url(),
            "danger": action == "close", "fields": {"comment": _comment(request)}})
    return _run(request, program, lambda: services.program_mark(
        program=program, actor=request.user, action=action, comment=_comment(request)),
        _("Отмечено: %(label)s.") % {"label": MARK_LABELS[action]})


@require_POST
def program_comment(request, pk):
    program = _get_program(request, pk)
    form = ThreadCommentForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    return _run(request, program, lambda: services.program_comment_add(program=program, actor=request.user, text=text),
                _("Комментарий добавлен."), "#comments")

