"""One POST view per step of the cohort's reporting documents. Each fetches its object through
core.access (may not see it: 404), checks the role (may see but not act: 403), binds a form, calls
one service and goes back to the cohort page with a success or the service's refusal as a message.

Consequential steps without a file ask for a confirmation (partials/confirm_form.html: the JS dialog,
else a confirmation page); a signature upload carries its confirmation as a required checkbox.
"""
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts.forms import (
    ActOperatorSignForm,
    ActPartnerSignForm,
    AnswerForm,
    CommentForm,
    JournalUploadForm,
    RemarkForm,
    SignatureForm,
)
from cohorts.models import Act
from cohorts.permissions import is_operator, is_partner_of
from cohorts.services import acts, assignments, journals, remarks, reports
from cohorts.services.acts import act_candidates
from cohorts.views.common import (
    cohort_url,
    form_refused,
    get_act,
    get_assignment,
    get_cohort,
    get_report,
    run,
    unconfirmed,
)
from core.access import filter_for_user, require
from core.fsm import InvalidTransition


def _ids(values) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


# The assignment -------------------------------------------------------------------------------

@require_POST
def assignment_generate(request, pk):
    cohort = get_cohort(request, pk)
    require(is_operator(request.user))
    url = cohort_url(cohort.pk, "assignment")
    confirm = unconfirmed(request, title=_("Сформировать задание"), label=_("Сформировать задание"), cancel_url=url,
                          message=_("Сформировать задание на поток? Его подписывает сначала федеральный оператор, "
                                    "затем партнёр."))
    return confirm or run(request, lambda: assignments.assignment_generate(actor=request.user, cohort=cohort),
                          _("Задание сформировано; PDF формируется."), url)


@require_POST
def assignment_sign_operator(request, pk):
    assignment = get_assignment(request, pk)
    require(is_operator(request.user))
    url = cohort_url(assignment.cohort_id, "assignment")
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: assignments.assignment_sign_by_operator(
        actor=request.user, assignment=assignment, file=form.cleaned_data["file"]),
        _("Подпись загружена: задание передано партнёру на подпись."), url)


@require_POST
def assignment_sign_partner(request, pk):
    assignment = get_assignment(request, pk)
    require(is_partner_of(request.user, assignment.partner_id))
    url = cohort_url(assignment.cohort_id, "assignment")
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: assignments.assignment_sign_by_partner(
        actor=request.user, assignment=assignment, file=form.cleaned_data["file"]),
        _("Подпись загружена: задание подписано с двух сторон."), url)


@require_POST
def assignment_register(request, pk):
    assignment = get_assignment(request, pk)
    require(is_operator(request.user))
    url = cohort_url(assignment.cohort_id, "assignment")
    confirm = unconfirmed(request, title=_("Отметить регистрацию"), label=_("Отметить регистрацию"), cancel_url=url,
                          message=_("Отметить задание № %(number)s зарегистрированным? После этого партнёр сможет "
                                    "формировать акты.") % {"number": assignment.number})
    return confirm or run(request, lambda: assignments.assignment_register(actor=request.user, assignment=assignment),
                          _("Регистрация задания отмечена."), url)


# The journal ----------------------------------------------------------------------------------

@require_POST
def journal_upload(request, pk):
    cohort = get_cohort(request, pk)
    require(is_partner_of(request.user, cohort.program.partner_id))
    url = cohort_url(cohort.pk, "journal")
    form = JournalUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: journals.journal_upload(
        actor=request.user, cohort=cohort, journal=form.cleaned_data["journal"],
        screenshots=form.cleaned_data["screenshots"], comment=form.cleaned_data["comment"]),
        _("Журнал и скриншоты загружены; акты потока переданы на согласование."), url)


# Acts -----------------------------------------------------------------------------------------

@require_POST
def act_generate(request, pk):
    """An act for the ticked citizens, after a confirmation that lists them."""
    cohort = get_cohort(request, pk)
    require(is_partner_of(request.user, cohort.program.partner_id))
    url = cohort_url(cohort.pk, "acts")
    ids = _ids(request.POST.getlist("application"))
    if ids and request.POST.get("confirmed") != "1":
        chosen = [c for c in act_candidates(cohort) if c.application.pk in set(ids)]
        return render(request, "cohorts/act_generate_confirm.html", {
            "cohort": cohort, "ids": ids, "candidates": chosen, "cancel_url": url,
            "amount": sum((c.price for c in chosen), 0)})
    return run(request, lambda: acts.act_generate(actor=request.user, cohort=cohort, application_ids=ids),
               _("Акт сформирован; PDF формируется. Загрузите журнал и скриншоты, если их ещё нет."), url)


def _act_url(act: Act) -> str:
    return cohort_url(act.cohort_id, f"act-{act.pk}")


class _ChangedElsewhere(Exception):
    pass


def _decide(request, act: Act, call, success: str, url: str):
    """Run a reviewer's decision on `act`. When it is refused because someone else moved the act
    after this request read it (two reviewers, or a double click), answer 409 with the act's new
    status instead of the generic refusal; nothing of this request was saved (its transaction rolled
    back), so the reviewer decides again, if at all, on what is there now."""
    seen = act.status

    def guarded():
        try:
            return call()
        except InvalidTransition:
            if Act.objects.filter(pk=act.pk).exclude(status=seen).exists():
                raise _ChangedElsewhere from None
            raise

    try:
        return run(request, guarded, success, url)
    except _ChangedElsewhere:
        current = Act.objects.get(pk=act.pk)
        # The page of a decision that lost the race (§4 R7): the act's link leads to its current state.
        return render(request, "errors/409.html", status=409, context={
            "heading": _("Акт изменён другим пользователем"), "link_label": _("Открыть акт"),
            "text": _("Пока вы принимали решение, акт № %(number)s изменил другой сотрудник: теперь он в статусе "
                      "«%(status)s». Ваше действие не выполнено.")
            % {"number": current.number, "status": current.get_status_display()},
            "url": url})


@require_POST
def act_approve(request, pk):
    act = get_act(request, pk)
    require(is_operator(request.user))
    url = _act_url(act)
    confirm = unconfirmed(request, title=_("Согласовать акт"), label=_("Согласовать"), cancel_url=url,
                          message=_("Согласовать акт № %(number)s? Партнёр подпишет его и приложит счёт.")
                          % {"number": act.number})
    return confirm or _decide(request, act, lambda: acts.act_approve(actor=request.user, act=act),
                              _("Акт согласован: партнёр подпишет его и приложит счёт."), url)


@require_POST
def act_reject(request, pk):
    act = get_act(request, pk)
    require(is_operator(request.user))
    url = _act_url(act)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, url)
    comment = form.cleaned_data["comment"]
    confirm = unconfirmed(request, title=_("Отклонить акт"), label=_("Отклонить"), cancel_url=url, danger=True,
                          message=_("Отклонить акт № %(number)s с замечаниями? Партнёр исправит их в течение 3 рабочих "
                                    "дней.") % {"number": act.number}, fields={"comment": comment})
    return confirm or _decide(request, act, lambda: acts.act_reject(actor=request.user, act=act, comment=comment),
                              _("Акт отклонён; партнёр получил замечания."), url)


@require_POST
def act_resubmit(request, pk):
    act = get_act(request, pk)
    require(is_partner_of(request.user, act.partner_id))
    url = _act_url(act)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, url)
    comment = form.cleaned_data["comment"]
    confirm = unconfirmed(request, title=_("Отправить на согласование"), label=_("Отправить"), cancel_url=url,
                          message=_("Замечания по акту № %(number)s исправлены? Акт вернётся на согласование.")
                          % {"number": act.number}, fields={"comment": comment})
    return confirm or run(request, lambda: acts.act_resubmit(actor=request.user, act=act, comment=comment),
                          _("Акт снова на согласовании."), url)


@require_POST
def act_sign_partner(request, pk):
    act = get_act(request, pk)
    require(is_partner_of(request.user, act.partner_id))
    url = _act_url(act)
    form = ActPartnerSignForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: acts.act_sign_by_partner(
        actor=request.user, act=act, signature=form.cleaned_data["file"], invoice_files=form.cleaned_data["invoice"]),
        _("Подпись и счёт загружены: акт подписан с одной стороны."), url)


@require_POST
def act_check(request, pk):
    act = get_act(request, pk)
    require(is_operator(request.user))
    url = _act_url(act)
    confirm = unconfirmed(request, title=_("Проверить подпись и счёт"), label=_("Начать проверку"), cancel_url=url,
                          message=_("Взять акт № %(number)s на проверку подписи и счёта?") % {"number": act.number})
    return confirm or run(request, lambda: acts.act_start_signature_check(actor=request.user, act=act),
                          _("Акт на проверке подписи и счёта."), url)


@require_POST
def act_sign_operator(request, pk):
    act = get_act(request, pk)
    require(is_operator(request.user))
    url = _act_url(act)
    form = ActOperatorSignForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: acts.act_sign_by_operator(
        actor=request.user, act=act, signature=form.cleaned_data["file"], act_date=form.cleaned_data["act_date"]),
        _("Подпись загружена: акт подписан с двух сторон."), url)


@require_POST
def act_archive(request, pk):
    """Queue the act's document archive (a ZIP built in the background)."""
    act = get_act(request, pk)
    user = request.user
    require(is_partner_of(user, act.partner_id) or is_operator(user))
    return run(request, lambda: acts.act_archive_request(actor=user, act=act),
               _("Архив документов формируется; ссылка появится на странице."), _act_url(act))


# Reports --------------------------------------------------------------------------------------

@require_POST
def report_generate(request, pk):
    """The act's report: a new one, or the open one again (with the citizens employed since)."""
    act = get_act(request, pk)
    require(is_operator(request.user))
    url = _act_url(act)
    confirm = unconfirmed(request, title=_("Сформировать отчёт"), label=_("Сформировать"), cancel_url=url,
                          message=_("Сформировать отчёт о трудоустройстве по акту № %(number)s? Неподписанный отчёт "
                                    "формируется заново.") % {"number": act.number})
    return confirm or run(request, lambda: reports.report_generate(actor=request.user, act=act),
                          _("Отчёт сформирован; PDF формируется."), url)


@require_POST
def report_sign(request, pk):
    report = get_report(request, pk)
    require(is_operator(request.user))
    url = cohort_url(report.act.cohort_id, f"act-{report.act_id}")
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: reports.report_sign(actor=request.user, report=report, file=form.cleaned_data["file"]),
               _("Подпись загружена: отчёт подписан."), url)


# Remarks --------------------------------------------------------------------------------------

@require_POST
def remark_add(request, pk):
    cohort = get_cohort(request, pk)
    user = request.user
    require(is_operator(user) or is_partner_of(user, cohort.program.partner_id))
    url = cohort_url(cohort.pk, "remarks")
    form = RemarkForm(request.POST, acts=filter_for_user(Act.objects.filter(cohort=cohort), user))
    if not form.is_valid():
        return form_refused(request, form, url)
    return run(request, lambda: remarks.remark_add(actor=user, cohort=cohort, text=form.cleaned_data["text"],
                                                   act=form.cleaned_data["act"]),
               _("Запись добавлена в историю потока."), url)
