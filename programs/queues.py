"""Work queues of programs and the money side (core.queues; issue #7).

Partner staff: programs to complete and send, programs ready to publish on Работа России, and the
contracts, add-on agreements and cost proposals waiting for the partner. The operator: programs to
approve and the contracts, add-ons and cost proposals waiting for the operator. Employment-service
reviewers: programs waiting for their region's decision.

None of these steps has a deadline in the reference (§2.5–§2.8): each list shows the longest
waiting first, with no due date. Who acts in which status is programs.selectors_contracts'
`*_actions_for` and the transitions' sources; the queues list exactly those statuses.
"""
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.access import filter_for_user
from core.queues import register_queue
from programs.models import AddOnAgreement, CostProposal, Program, RegionalApproval, TrainingContract
from programs.selectors_contracts import detail_url

PROGRAMS = _("Программы и договоры")
REGION = _("Мой регион")

Status = Program.Status


def is_partner_staff(user) -> bool:
    return user.access.is_partner_staff


def is_operator(user) -> bool:
    return user.access.is_operator


def is_employment_reviewer(user) -> bool:
    return user.access.is_employment_reviewer


def _own(queryset: QuerySet, user, partner_path: str = "partner_id") -> QuerySet:
    """What the user may see of `queryset`, kept to the user's own partner organisations."""
    return filter_for_user(queryset, user).filter(**{f"{partner_path}__in": user.access.partner_ids})


PROGRAM_COLUMNS = ((_("Программа"), "title"), (_("Статус"), "get_status_display"))
OPERATOR_PROGRAM_COLUMNS = ((_("Программа"), "title"), (_("Партнёр"), "partner.short_name"),
                            (_("Статус"), "get_status_display"))
WAITING_LONGEST = ("updated_at", "pk")


# Programs -------------------------------------------------------------------------------------

register_queue(
    "programs.revision", title=_("Доработать и отправить программы"), group=PROGRAMS, applies_to=is_partner_staff,
    # Both statuses the partner edits and sends from (Program.EDITABLE, the `send_for_approval` sources).
    items=lambda user: _own(Program.objects.filter(status__in=Program.EDITABLE), user),
    order_by=WAITING_LONGEST, columns=PROGRAM_COLUMNS, url=lambda p: p.get_absolute_url(), position=60)

register_queue(
    "programs.to_publish", title=_("Опубликовать программы на «Работе России»"), group=PROGRAMS,
    applies_to=is_partner_staff, items=lambda user: _own(Program.objects.filter(status=Status.READY_TO_SEND), user),
    order_by=WAITING_LONGEST, columns=PROGRAM_COLUMNS, url=lambda p: p.get_absolute_url(), position=61)


def operator_decision_open_q() -> Q:
    """Program.operator_decision_open in SQL: not yet approved by the operator, or every region
    asked has declined."""
    standing = RegionalApproval.objects.filter(program=OuterRef("pk")).exclude(status=RegionalApproval.Status.DECLINED)
    return Q(operator_approved_at__isnull=True) | ~Exists(standing)


def _to_approve(user) -> QuerySet:
    return (filter_for_user(Program.objects.filter(status=Status.OPERATOR_REVIEW), user)
            .filter(operator_decision_open_q()).select_related("partner"))


register_queue(
    "programs.approval", title=_("Одобрить программы"), group=PROGRAMS, applies_to=is_operator, items=_to_approve,
    order_by=WAITING_LONGEST, columns=OPERATOR_PROGRAM_COLUMNS, url=lambda p: p.get_absolute_url(), position=65)


# Contracts, add-on agreements, cost proposals -----------------------------------------------

CONTRACT_COLUMNS = ((_("Договор"), str), (_("Партнёр"), "partner.short_name"), (_("Статус"), "get_status_display"))
ADDON_COLUMNS = ((_("Соглашение"), str), (_("Партнёр"), "contract.partner.short_name"),
                 (_("Статус"), "get_status_display"))
PROPOSAL_COLUMNS = ((_("Программа"), "program.title"), (_("Договор"), "contract.number"),
                    (_("Стоимость, ₽"), "price"), (_("Статус"), "get_status_display"))

# Whose move it is, by status (programs.selectors_contracts: contract_, addon_, cost_proposal_actions_for).
CONTRACT_PARTNER = (TrainingContract.Status.SIGNED_BY_OPERATOR,)
CONTRACT_OPERATOR = (TrainingContract.Status.GENERATED, TrainingContract.Status.SIGNED_BY_BOTH)
ADDON_PARTNER = (AddOnAgreement.Status.SIGNED_BY_OPERATOR,)
ADDON_OPERATOR = (AddOnAgreement.Status.READY_TO_GENERATE, AddOnAgreement.Status.GENERATED,
                  AddOnAgreement.Status.DATE_REQUIRED)
PROPOSAL_PARTNER = (CostProposal.Status.GENERATED, CostProposal.Status.REJECTED)
PROPOSAL_OPERATOR = (CostProposal.Status.SIGNED_BY_PARTNER,)


def _contracts(user, statuses, *, own: bool) -> QuerySet:
    qs = TrainingContract.objects.filter(status__in=statuses).select_related("partner")
    return _own(qs, user) if own else filter_for_user(qs, user)


def _addons(user, statuses, *, own: bool) -> QuerySet:
    qs = AddOnAgreement.objects.filter(status__in=statuses).select_related("contract__partner")
    return _own(qs, user, "contract__partner_id") if own else filter_for_user(qs, user)


def _proposals(user, statuses, *, own: bool) -> QuerySet:
    qs = CostProposal.objects.filter(status__in=statuses).select_related("program__partner", "contract")
    return _own(qs, user, "program__partner_id") if own else filter_for_user(qs, user)


register_queue(
    "programs.contracts_partner", title=_("Подписать договоры"), group=PROGRAMS, applies_to=is_partner_staff,
    items=lambda user: _contracts(user, CONTRACT_PARTNER, own=True), order_by=WAITING_LONGEST,
    columns=CONTRACT_COLUMNS, url=lambda c: c.get_absolute_url(), position=62)

register_queue(
    "programs.addons_partner", title=_("Подписать дополнительные соглашения"), group=PROGRAMS,
    applies_to=is_partner_staff, items=lambda user: _addons(user, ADDON_PARTNER, own=True), order_by=WAITING_LONGEST,
    columns=ADDON_COLUMNS, url=detail_url, position=63)

register_queue(
    "programs.cost_proposals_partner", title=_("Подписать или исправить предложения о стоимости"), group=PROGRAMS,
    applies_to=is_partner_staff, items=lambda user: _proposals(user, PROPOSAL_PARTNER, own=True),
    order_by=WAITING_LONGEST, columns=PROPOSAL_COLUMNS, url=lambda p: p.get_absolute_url(), position=64)

register_queue(
    "programs.contracts_operator", title=_("Подписать и зарегистрировать договоры"), group=PROGRAMS,
    applies_to=is_operator, items=lambda user: _contracts(user, CONTRACT_OPERATOR, own=False),
    order_by=WAITING_LONGEST, columns=CONTRACT_COLUMNS, url=lambda c: c.get_absolute_url(), position=66)

register_queue(
    "programs.addons_operator", title=_("Сформировать, подписать и датировать дополнительные соглашения"),
    group=PROGRAMS, applies_to=is_operator, items=lambda user: _addons(user, ADDON_OPERATOR, own=False),
    order_by=WAITING_LONGEST, columns=ADDON_COLUMNS, url=detail_url, position=67)

register_queue(
    "programs.cost_proposals_operator", title=_("Согласовать предложения о стоимости"), group=PROGRAMS,
    applies_to=is_operator, items=lambda user: _proposals(user, PROPOSAL_OPERATOR, own=False),
    order_by=WAITING_LONGEST, columns=(PROPOSAL_COLUMNS[0], (_("Партнёр"), "program.partner.short_name"),
                                       *PROPOSAL_COLUMNS[1:3]),
    url=lambda p: p.get_absolute_url(), position=68)


# The region's decisions (employment-service reviewers) --------------------------------------

def _regional_approvals(user) -> QuerySet:
    return (filter_for_user(RegionalApproval.objects.filter(status=RegionalApproval.Status.PENDING), user)
            .filter(region_id__in=user.access.region_codes).select_related("program__partner", "region"))


register_queue(
    "programs.regional_approvals", title=_("Согласовать программы для региона"), group=REGION,
    applies_to=is_employment_reviewer, items=_regional_approvals, order_by=("requested_at", "pk"),
    columns=((_("Программа"), "program.title"), (_("Партнёр"), "program.partner.short_name"),
             (_("Регион"), "region.name")),
    url=lambda a: reverse("programs:detail", args=[a.program_id]), position=80)
