"""Pages of the money side: training contracts, add-on agreements, cost proposals.

Every object is fetched through `core.access` (can't see it: 404), every action checks the role
(may see but not act: 403) and calls one service; a refused step comes back as a message. Files are
served as attachments only from here, after the owner was fetched the same way.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.access import get_for_user_or_404, require
from documents.models import Signature
from documents.selectors import download_filename
from documents.views import document_response, file_response, signature_response
from programs import selectors_contracts as selectors
from programs.forms_contracts import (
    AddOnDateForm,
    AddOnProgramsForm,
    ContractFilterForm,
    ContractForm,
    ContractPartnerForm,
    CostProposalCreateForm,
    CostProposalForm,
    RegisterForm,
    RejectForm,
    SignatureForm,
)
from programs.models import AddOnAgreement, CostProposal, TrainingContract
from programs.services import contracts as services

PAGE_SIZE = 30
SIGNATURE_FILES = {"sig-operator": Signature.Party.OPERATOR, "sig-partner": Signature.Party.PARTNER}


def _run(request, obj, call, success: str):
    """Call a service; report success or each refusal as a message; back to the object's page."""
    try:
        obj = call() or obj
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(selectors.detail_url(obj))


def _sign(request, obj, service, **kwargs):
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Выберите файл открепленной подписи (.sig)."))
        return redirect(selectors.detail_url(obj))
    return _run(request, obj, lambda: service(actor=request.user, file=form.cleaned_data["file"], **kwargs),
                _("Подпись загружена."))


def _signed_file(document, which: str):
    party = SIGNATURE_FILES.get(which)
    if document is None or party is None:
        raise Http404
    return signature_response(document.signatures.filter(party=party).select_related("document").first())


# Contracts ------------------------------------------------------------------------------------

@require_safe
def contract_list(request):
    """The operator's contracts (all, with filters) or a partner's (those the operator has signed)."""
    require(selectors.may_view_contracts(request.user))
    form = ContractFilterForm(request.GET or None, with_partner=request.user.access.sees_all_partners
                              or request.user.is_superuser)
    filters = form.cleaned_data if form.is_valid() else {}
    contracts = selectors.contract_list_for(
        user=request.user, search=filters.get("q", ""), status=filters.get("status", ""),
        partner=filters.get("partner"), campaign=filters.get("campaign"),
        sort=filters.get("sort") or selectors.DEFAULT_CONTRACT_SORT)
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "programs/contract_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "can_create": selectors.may_manage_contracts(request.user)})


@require_http_methods(["GET", "HEAD", "POST"])
def contract_create(request):
    """Step one picks the partner (GET ?partner=), step two the terms and programs."""
    require(selectors.may_manage_contracts(request.user))
    chooser = ContractPartnerForm(request.POST or request.GET or None)
    if not chooser.is_valid():
        return render(request, "programs/contract_form.html", {"chooser": ContractPartnerForm()})
    partner = chooser.cleaned_data["partner"]
    form = ContractForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "partner"}
        try:
            contract = services.contract_generate(actor=request.user, partner=partner, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Договор создан; PDF формируется."))
            return redirect(contract)
    return render(request, "programs/contract_form.html", {"form": form, "partner": partner})


@require_safe
def contract_detail(request, pk):
    contract = get_for_user_or_404(selectors.contract_detail_queryset(), request.user, pk=pk)
    user = request.user
    actions = selectors.contract_actions_for(user, contract)
    addon_programs = selectors.addon_candidate_programs(contract) if actions.create_addon else None
    return render(request, "programs/contract_detail.html", {
        "contract": contract, "actions": actions, "documents": selectors.document_block(contract.document),
        "programs": contract.programs.order_by("title", "pk"),
        "addons": selectors.contract_addons(contract, user),
        "cost_proposals": selectors.contract_cost_proposals(contract, user),
        "needing_proposal": selectors.programs_needing_cost_proposal(contract)
        if actions.create_cost_proposal else [],
        "addon_form": AddOnProgramsForm(programs=addon_programs) if addon_programs else None,
        "sign_form": SignatureForm(), "register_form": RegisterForm(),
        "history": selectors.history_rows(contract.events.select_related("actor"), TrainingContract.Status.choices),
    })


@require_POST
def contract_regenerate(request, pk):
    contract = get_for_user_or_404(TrainingContract.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    return _run(request, contract,
                lambda: services.contract_document_regenerate(actor=request.user, contract=contract),
                _("Договор формируется заново."))


@require_POST
def contract_sign_operator(request, pk):
    contract = get_for_user_or_404(TrainingContract.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    return _sign(request, contract, services.contract_sign_by_operator, contract=contract)


@require_POST
def contract_sign_partner(request, pk):
    contract = get_for_user_or_404(TrainingContract.objects, request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, contract.partner_id))
    return _sign(request, contract, services.contract_sign_by_partner, contract=contract)


@require_POST
def contract_register(request, pk):
    contract = get_for_user_or_404(TrainingContract.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Укажите реестровый номер и дату регистрации."))
        return redirect(contract)
    return _run(request, contract, lambda: services.contract_register(actor=request.user, contract=contract,
                                                                        **form.cleaned_data),
                _("Регистрация договора на Госзакупках отмечена."))


@require_safe
def contract_file(request, pk, which):
    """The contract's PDF (`pdf`) or a party's signature (`sig-operator`, `sig-partner`)."""
    contract = get_for_user_or_404(TrainingContract.objects.select_related("document"), request.user, pk=pk)
    if which == "pdf":
        return document_response(contract.document)
    return _signed_file(contract.document, which)


# Add-on agreements ----------------------------------------------------------------------------

@require_POST
def addon_create(request, pk):
    contract = get_for_user_or_404(TrainingContract.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    form = AddOnProgramsForm(request.POST, programs=selectors.addon_candidate_programs(contract))
    if not form.is_valid():
        messages.error(request, _("Выберите программы для дополнительного соглашения."))
        return redirect(contract)
    try:
        addon = services.addon_create(actor=request.user, contract=contract, programs=form.cleaned_data["programs"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(contract)
    messages.success(request, _("Дополнительное соглашение создано: проверьте программы и сформируйте его."))
    return redirect(selectors.detail_url(addon))


@require_safe
def addon_detail(request, pk):
    addon = get_for_user_or_404(selectors.addon_detail_queryset(), request.user, pk=pk)
    actions = selectors.addon_actions_for(request.user, addon)
    candidates = selectors.addon_candidate_programs(addon.contract, addon=addon) if actions.generate else None
    return render(request, "programs/addon_detail.html", {
        "addon": addon, "contract": addon.contract, "actions": actions,
        "documents": selectors.document_block(addon.document), "programs": addon.programs.order_by("title", "pk"),
        "programs_form": AddOnProgramsForm(programs=candidates, initial={"programs": addon.programs.all()})
        if candidates is not None else None,
        "sign_form": SignatureForm(), "date_form": AddOnDateForm(),
        "history": selectors.history_rows(addon.events.select_related("actor"), AddOnAgreement.Status.choices),
    })


@require_POST
def addon_generate(request, pk):
    addon = get_for_user_or_404(AddOnAgreement.objects.select_related("contract"), request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    form = AddOnProgramsForm(request.POST, programs=selectors.addon_candidate_programs(addon.contract, addon=addon))
    if not form.is_valid():
        messages.error(request, _("Выберите программы для дополнительного соглашения."))
        return redirect(selectors.detail_url(addon))
    return _run(request, addon, lambda: services.addon_generate(actor=request.user, addon=addon,
                                                                programs=form.cleaned_data["programs"]),
                _("Дополнительное соглашение формируется."))


@require_POST
def addon_regenerate(request, pk):
    addon = get_for_user_or_404(AddOnAgreement.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    return _run(request, addon, lambda: services.addon_document_regenerate(actor=request.user, addon=addon),
                _("Дополнительное соглашение формируется заново."))


@require_POST
def addon_sign_operator(request, pk):
    addon = get_for_user_or_404(AddOnAgreement.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    return _sign(request, addon, services.addon_sign_by_operator, addon=addon)


@require_POST
def addon_sign_partner(request, pk):
    addon = get_for_user_or_404(AddOnAgreement.objects.select_related("contract"), request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, addon.contract.partner_id))
    return _sign(request, addon, services.addon_sign_by_partner, addon=addon)


@require_POST
def addon_set_date(request, pk):
    addon = get_for_user_or_404(AddOnAgreement.objects.select_related("contract"), request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    form = AddOnDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Укажите дату подписания."))
        return redirect(selectors.detail_url(addon))
    return _run(request, addon, lambda: services.addon_set_signed_on(
        actor=request.user, addon=addon, signed_on=form.cleaned_data["signed_on"]),
        _("Дата подписания введена: соглашение подписано двумя сторонами."))


@require_safe
def addon_file(request, pk, which):
    addon = get_for_user_or_404(AddOnAgreement.objects.select_related("document"), request.user, pk=pk)
    if which == "pdf":
        return document_response(addon.document)
    return _signed_file(addon.document, which)


# Cost proposals -------------------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def cost_proposal_create(request, pk):
    """The partner's form, from its registered contract (`?program=` pre-selects the program)."""
    contract = get_for_user_or_404(TrainingContract.objects.select_related("partner"), request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, contract.partner_id))
    if not selectors.contract_actions_for(request.user, contract).create_cost_proposal:
        messages.error(request, _("Предложение о стоимости подаётся по договору, зарегистрированному на Госзакупках."))
        return redirect(contract)
    form = CostProposalCreateForm(request.POST or None, request.FILES or None,
                                  programs=selectors.programs_needing_cost_proposal(contract),
                                  initial={"program": request.GET.get("program")})
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.cost_proposal_create(actor=request.user, contract=contract,
                                                     program=form.cleaned_data["program"], **form.service_kwargs())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Предложение о стоимости сформировано: скачайте его, подпишите "
                                        "и загрузите подпись."))
            return redirect(proposal)
    return render(request, "programs/cost_proposal_form.html", {"form": form, "contract": contract})


@require_safe
def cost_proposal_detail(request, pk):
    proposal = get_for_user_or_404(selectors.cost_proposal_detail_queryset(), request.user, pk=pk)
    return render(request, "programs/cost_proposal_detail.html", {
        "proposal": proposal, "contract": proposal.contract,
        "actions": selectors.cost_proposal_actions_for(request.user, proposal),
        "documents": selectors.document_block(proposal.document),
        "sign_form": SignatureForm(), "reject_form": RejectForm(),
        "history": selectors.history_rows(proposal.events.select_related("actor"), CostProposal.Status.choices),
    })


@require_http_methods(["GET", "HEAD", "POST"])
def cost_proposal_edit(request, pk):
    """A rejected proposal: correct it and regenerate (then sign again)."""
    proposal = get_for_user_or_404(selectors.cost_proposal_detail_queryset(), request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, proposal.contract.partner_id))
    if not selectors.cost_proposal_actions_for(request.user, proposal).edit:
        messages.error(request, _("Исправить можно только отклонённое предложение."))
        return redirect(proposal)
    form = CostProposalForm(request.POST or None, request.FILES or None, calculation_required=False,
                            initial=CostProposalForm.initial_from(proposal))
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.cost_proposal_resubmit(actor=request.user, proposal=proposal, **form.service_kwargs())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Предложение исправлено и сформировано заново: подпишите его снова."))
            return redirect(proposal)
    return render(request, "programs/cost_proposal_form.html", {"form": form, "contract": proposal.contract,
                                                                 "proposal": proposal})


@require_POST
def cost_proposal_sign(request, pk):
    proposal = get_for_user_or_404(CostProposal.objects.select_related("contract"), request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, proposal.contract.partner_id))
    return _sign(request, proposal, services.cost_proposal_sign, proposal=proposal)


@require_POST
def cost_proposal_regenerate(request, pk):
    proposal = get_for_user_or_404(CostProposal.objects.select_related("contract"), request.user, pk=pk)
    require(selectors.is_contract_partner(request.user, proposal.contract.partner_id))
    return _run(request, proposal,
                lambda: services.cost_proposal_document_regenerate(actor=request.user, proposal=proposal),
                _("Предложение формируется заново."))


@require_POST
def cost_proposal_approve(request, pk):
    proposal = get_for_user_or_404(CostProposal.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    return _run(request, proposal, lambda: services.cost_proposal_approve(actor=request.user, proposal=proposal),
                _("Предложение о стоимости согласовано."))


@require_POST
def cost_proposal_reject(request, pk):
    proposal = get_for_user_or_404(CostProposal.objects, request.user, pk=pk)
    require(selectors.may_manage_contracts(request.user))
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Укажите причину отклонения: её увидит образовательный партнёр."))
        return redirect(proposal)
    return _run(request, proposal, lambda: services.cost_proposal_reject(
        actor=request.user, proposal=proposal, comment=form.cleaned_data["comment"]),
        _("Предложение о стоимости отклонено."))


@require_safe
def cost_proposal_file(request, pk, which):
    """The proposal's PDF, the partner's signature (`sig-partner`) or the cost calculation."""
    proposal = get_for_user_or_404(CostProposal.objects.select_related("document", "program"), request.user, pk=pk)
    if which == "calculation":
        title = _("Расчёт стоимости — %(program)s") % {"program": proposal.program}
        return file_response(proposal.calculation_file, download_filename(title, "pdf"))
    if which == "pdf":
        return document_response(proposal.document)
    return _signed_file(proposal.document, which)
