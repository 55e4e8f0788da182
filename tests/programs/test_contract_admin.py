"""The admin of the money side: read-only rows, history inlines, and actions that call the services
(regenerate a contract, generate an add-on, approve or reject a cost proposal with a comment)."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.groups import operator_group
from documents.models import Signature
from programs.models import AddOnAgreement, CostProposal, TrainingContract
from tests.programs.factories import CostProposalFactory
from tests.programs.test_contract_support import addon_in, awaiting_program, contract_in, ready_document, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client, operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    client.force_login(operator_reviewer)
    return operator_reviewer


@pytest.fixture
def contract(operator_org, partner_a, campaign):
    return contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org, programs=[awaiting_program(partner_a, campaign)])


def _proposal(contract, status=CostProposal.Status.SIGNED_BY_PARTNER) -> CostProposal:
    proposal = CostProposalFactory(program=contract.programs.get(), contract=contract, status=status)
    proposal.document = ready_document(kind="cost_proposal")
    proposal.save(update_fields=["document"])
    return proposal


def test_every_page_opens_and_nothing_is_editable(client, reviewer, contract):
    proposal = _proposal(contract)
    addon = addon_in(AddOnAgreement.Status.SIGNED_BY_BOTH, contract=contract)
    signature = sign(proposal.document, Signature.Party.PARTNER)
    for model, obj in (("trainingcontract", contract), ("addonagreement", addon), ("costproposal", proposal)):
        assert client.get(reverse(f"admin:programs_{model}_changelist"), {"q": "ДО"}).status_code == 200
        page = client.get(reverse(f"admin:programs_{model}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert 'name="status"' not in page.content.decode()
        assert client.get(reverse(f"admin:programs_{model}_add")).status_code == 403
    page = client.get(reverse("admin:documents_generateddocument_change", args=[proposal.document.pk]))
    html = page.content.decode()
    assert reverse("documents:download", args=[proposal.document.pk]) in html
    assert reverse("documents:signature_download", args=[signature.pk]) in html
    assert "/media/" not in html


def test_the_approve_action_calls_the_service(client, reviewer, contract):
    proposal = _proposal(contract)
    client.post(reverse("admin:programs_costproposal_changelist"),
                {"action": "approve", ACTION_CHECKBOX_NAME: [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == CostProposal.Status.APPROVED
    assert proposal.events.get().actor == reviewer


def test_the_reject_action_asks_for_a_comment_first(client, reviewer, contract):
    proposal = _proposal(contract)
    url = reverse("admin:programs_costproposal_changelist")
    page = client.post(url, {"action": "reject", ACTION_CHECKBOX_NAME: [proposal.pk]})
    assert page.status_code == 200
    assert "Причина отклонения" in page.content.decode()
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.SIGNED_BY_PARTNER

    client.post(url, {"action": "reject", ACTION_CHECKBOX_NAME: [proposal.pk], "apply": "1",
                      "comment": "Нет расчёта"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.operator_comment) == (CostProposal.Status.REJECTED, "Нет расчёта")


def test_a_refused_action_is_reported_per_row(client, reviewer, contract):
    proposal = _proposal(contract, status=CostProposal.Status.GENERATED)
    response = client.post(reverse("admin:programs_costproposal_changelist"),
                           {"action": "approve", ACTION_CHECKBOX_NAME: [proposal.pk]}, follow=True)
    assert "недоступно" in response.content.decode()
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.GENERATED


def test_the_contract_and_addon_actions_call_the_services(client, reviewer, operator_org, partner_a, campaign,
                                                          contract):
    generated = contract_in(TrainingContract.Status.GENERATED, partner=partner_a, campaign=campaign,
                            operator_org=operator_org)
    old = generated.document_id
    client.post(reverse("admin:programs_trainingcontract_changelist"),
                {"action": "regenerate_document", ACTION_CHECKBOX_NAME: [generated.pk]})
    assert TrainingContract.objects.get(pk=generated.pk).document_id != old

    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract,
                     programs=[awaiting_program(partner_a, campaign)])
    client.post(reverse("admin:programs_addonagreement_changelist"),
                {"action": "generate", ACTION_CHECKBOX_NAME: [addon.pk]})
    assert AddOnAgreement.objects.get(pk=addon.pk).status == AddOnAgreement.Status.GENERATED
