"""Reads of the money side: who may do what with contracts, add-on agreements and cost proposals,
what a user sees of them, which programs each step may take, and the pages' action flags.

Each rule is written once here; services raise PermissionDenied on it, views compute buttons from it
together with `can_proceed`, so no status rule is re-stated in a template.
"""
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from accounts.models import Membership, Organization
from core.access import filter_for_user
from documents.models import GeneratedDocument
from documents.selectors import signatures_by_party
from programs.models import AddOnAgreement, CostProposal, Program, TrainingContract

CONTRACT_SORTS = {
    "date": ("contract_date", "pk"), "-date": ("-contract_date", "-pk"),
    "number": ("number", "pk"), "-number": ("-number", "-pk"),
    "partner": ("partner__short_name", "-contract_date", "pk"),
    "-partner": ("-partner__short_name", "-contract_date", "pk"),
}
DEFAULT_CONTRACT_SORT = "-date"
# An add-on agreement extends a contract both parties have signed (reference §2.7).
ADDON_CONTRACT_STATUSES = (TrainingContract.Status.SIGNED_BY_BOTH, TrainingContract.Status.REGISTERED)

EVENT_LABELS = {
    "generate": _("Сформирован документ"),
    "regenerate": _("Документ сформирован заново"),
    "create": _("Создано"),
    "sign_by_operator": _("Подписан федеральным оператором"),
    "sign_by_partner": _("Подписан образовательным партнёром"),
    "register": _("Зарегистрирован на Госзакупках"),
    "set_signed_on": _("Введена дата подписания"),
    "sign": _("Подписано образовательным партнёром"),
    "approve": _("Согласовано федеральным оператором"),
    "reject": _("Отклонено федеральным оператором"),
}


# Roles ----------------------------------------------------------------------------------------

def may_view_contracts(user) -> bool:
    """The contract list: the operator and auditors (all), partner staff (their own); ops."""
    return user.is_superuser or user.access.sees_all_partners or user.access.is_partner_staff


def may_manage_contracts(user) -> bool:
    """Generate contracts and add-ons, sign for the operator, register, decide cost proposals."""
    return user is not None and (user.is_superuser or user.access.is_operator)


def is_contract_partner(user, partner_id: int) -> bool:
    """Staff of the contract's partner: sign for the partner, write cost proposals."""
    return user is not None and partner_id in user.access.partner_ids


# Lists and pages ------------------------------------------------------------------------------

def contract_list_for(*, user, search: str = "", status: str = "", partner=None, campaign=None,
                      sort: str = DEFAULT_CONTRACT_SORT) -> QuerySet:
    """Contracts `user` may see (partners: only those the operator has signed), searched by number,
    partner name or INN, filtered by status, partner and campaign."""
    qs = filter_for_user(TrainingContract.objects.select_related("partner", "campaign", "document"), user)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(partner__short_name__icontains=search)
                       | Q(partner__name__icontains=search) | Q(partner__inn__startswith=search)
                       | Q(registration_number__icontains=search))
    if status:
        qs = qs.filter(status=status)
    if partner:
        qs = qs.filter(partner=partner)
    if campaign:
        qs = qs.filter(campaign=campaign)
    return qs.order_by(*CONTRACT_SORTS.get(sort, CONTRACT_SORTS[DEFAULT_CONTRACT_SORT]))


def contract_detail_queryset() -> QuerySet:
    return TrainingContract.objects.select_related(
        "partner", "campaign", "document", "operator_signatory__organization", "partner_signatory")


def addon_detail_queryset() -> QuerySet:
    return AddOnAgreement.objects.select_related("contract__partner", "contract__campaign", "document")


def cost_proposal_detail_queryset() -> QuerySet:
    return CostProposal.objects.select_related("program", "contract__partner", "document")


def contract_partner_filter_choices() -> QuerySet:
    """Partners offered in the list's filter (only the operator's list has it)."""
    return Organization.objects.filter(kind=Organization.Kind.PARTNER, training_contracts__isnull=False) \
        .distinct().order_by("short_name")


def detail_url(obj) -> str:
    """The page of a contract, an add-on agreement (the model has no get_absolute_url) or a proposal."""
    if isinstance(obj, AddOnAgreement):
        return reverse("programs:addon_detail", args=[obj.pk])
    return obj.get_absolute_url()


# Programs each step may take ------------------------------------------------------------------

def programs_without_contract(*, partner, campaign=None) -> QuerySet:
    """The partner's programs awaiting a contract that no contract or add-on agreement includes yet."""
    qs = Program.objects.filter(partner=partner, status=Program.Status.AWAITING_CONTRACT,
                                training_contracts__isnull=True, addon_agreements__isnull=True)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by("title", "pk")


def partners_awaiting_contract() -> QuerySet:
    """Partners with at least one program awaiting a contract and not yet in one (the form's choices)."""
    waiting = Program.objects.filter(status=Program.Status.AWAITING_CONTRACT, training_contracts__isnull=True,
                                     addon_agreements__isnull=True)
    return Organization.objects.filter(kind=Organization.Kind.PARTNER, is_active=True,
                                       pk__in=waiting.values("partner_id")).order_by("short_name")


def addon_candidate_programs(contract: TrainingContract, addon: AddOnAgreement | None = None) -> QuerySet:
    """Programs an add-on agreement to `contract` may add: the partner's programs of the contract's
    campaign awaiting a contract, in no contract and in no other add-on."""
    qs = Program.objects.filter(partner_id=contract.partner_id, campaign_id=contract.campaign_id,
                                status=Program.Status.AWAITING_CONTRACT, training_contracts__isnull=True)
    others = AddOnAgreement.objects.all() if addon is None else AddOnAgreement.objects.exclude(pk=addon.pk)
    return qs.exclude(addon_agreements__in=others).order_by("title", "pk")


def contracted_programs(contract: TrainingContract) -> QuerySet:
    """Programs under the contract: its own and those of its add-ons signed by both sides."""
    return Program.objects.filter(
        Q(training_contracts=contract)
        | Q(addon_agreements__contract=contract, addon_agreements__status=AddOnAgreement.Status.SIGNED_BY_BOTH)
    ).distinct().order_by("title", "pk")


def programs_needing_cost_proposal(contract: TrainingContract) -> QuerySet:
    """Contracted programs that have no cost proposal under this contract yet."""
    return contracted_programs(contract).exclude(cost_proposals__contract=contract)


# Notifications --------------------------------------------------------------------------------

def partner_recipients(partner_id: int) -> list[tuple[str, str]]:
    """(e-mail, first name) of the partner's active staff."""
    return list(Membership.objects.active().filter(
        organization_id=partner_id, role=Membership.Role.PARTNER_STAFF, user__is_active=True,
    ).values_list("user__email", "user__first_name").distinct())


def operator_recipients(contract: TrainingContract) -> list[tuple[str, str]]:
    """(e-mail, first name) of the reviewers of the operator that is party to the contract."""
    memberships = Membership.objects.active().filter(role=Membership.Role.OPERATOR_REVIEWER, user__is_active=True)
    if contract.operator_signatory_id:
        memberships = memberships.filter(organization__signatories=contract.operator_signatory_id)
    return list(memberships.values_list("user__email", "user__first_name").distinct())


# Page blocks ----------------------------------------------------------------------------------

def history_rows(events, status_choices) -> list[dict]:
    """A history table's rows with Russian labels for the action and both statuses."""
    labels = dict(status_choices)
    return [{"event": event, "action": EVENT_LABELS.get(event.transition, event.transition),
             "source": labels.get(event.source, event.source), "target": labels.get(event.target, event.target)}
            for event in events]


def document_block(document: GeneratedDocument | None) -> dict:
    """The document and its signatures by party, for the documents partial."""
    return {"document": document, "signatures": signatures_by_party(document),
            "is_ready": document is not None and document.status == GeneratedDocument.Status.READY,
            "is_pending": document is not None and document.status == GeneratedDocument.Status.PENDING,
            "is_failed": document is not None and document.status == GeneratedDocument.Status.FAILED}


def contract_addons(contract: TrainingContract, user) -> list[AddOnAgreement]:
    """The contract's add-on agreements `user` may see (partners: from the operator's signature on)."""
    return list(filter_for_user(AddOnAgreement.objects.filter(contract=contract), user)
                .prefetch_related(Prefetch("programs", queryset=Program.objects.order_by("title"))))


def contract_cost_proposals(contract: TrainingContract, user) -> list[CostProposal]:
    return list(filter_for_user(CostProposal.objects.filter(contract=contract), user)
                .select_related("program").order_by("program__title", "pk"))


# Actions per role -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ContractActions:
    regenerate: bool = False
    sign_operator: bool = False
    sign_partner: bool = False
    register: bool = False
    create_addon: bool = False
    create_cost_proposal: bool = False


def contract_actions_for(user, contract: TrainingContract) -> ContractActions:
    operator = may_manage_contracts(user)
    partner = is_contract_partner(user, contract.partner_id)
    ready = contract.document is not None and contract.document.status == GeneratedDocument.Status.READY
    return ContractActions(
        regenerate=operator and contract.status == TrainingContract.Status.GENERATED,
        sign_operator=operator and ready and can_proceed(contract.sign_by_operator),
        sign_partner=partner and ready and can_proceed(contract.sign_by_partner),
        register=operator and can_proceed(contract.register),
        create_addon=operator and contract.status in ADDON_CONTRACT_STATUSES,
        create_cost_proposal=partner and contract.status == TrainingContract.Status.REGISTERED,
    )


@dataclass(frozen=True)
class AddOnActions:
    generate: bool = False
    regenerate: bool = False
    sign_operator: bool = False
    sign_partner: bool = False
    set_date: bool = False


def addon_actions_for(user, addon: AddOnAgreement) -> AddOnActions:
    operator = may_manage_contracts(user)
    partner = is_contract_partner(user, addon.contract.partner_id)
    ready = addon.document is not None and addon.document.status == GeneratedDocument.Status.READY
    return AddOnActions(
        generate=operator and can_proceed(addon.generate),
        regenerate=operator and addon.status == AddOnAgreement.Status.GENERATED,
        sign_operator=operator and ready and can_proceed(addon.sign_by_operator),
        sign_partner=partner and ready and can_proceed(addon.sign_by_partner),
        set_date=operator and can_proceed(addon.set_signed_on),
    )


@dataclass(frozen=True)
class CostProposalActions:
    sign: bool = False
    regenerate: bool = False
    edit: bool = False
    decide: bool = False


def cost_proposal_actions_for(user, proposal: CostProposal) -> CostProposalActions:
    operator = may_manage_contracts(user)
    partner = is_contract_partner(user, proposal.contract.partner_id)
    ready = proposal.document is not None and proposal.document.status == GeneratedDocument.Status.READY
    return CostProposalActions(
        sign=partner and ready and can_proceed(proposal.sign),
        regenerate=partner and proposal.status == CostProposal.Status.GENERATED and not ready,
        edit=partner and can_proceed(proposal.regenerate),
        decide=operator and can_proceed(proposal.approve),
    )
