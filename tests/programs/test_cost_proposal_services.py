"""Cost proposals: the partner prices a contracted program under its registered contract; the
operator approves or rejects with a comment; a rejected proposal is corrected, regenerated and
signed again. Approval (with a registered contract) makes the program ready to send."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument, Signature
from programs.models import AddOnAgreement, CostProposal, Program, TrainingContract
from programs.services import contracts as services
from tests.programs.test_contract_support import (
    add_signatory,
    addon_in,
    awaiting_program,
    contract_in,
    pdf_bytes,
    pdf_file,
    signature_file,
)

pytestmark = pytest.mark.django_db

ANALOGUES = [{"title": f"Аналог {i}", "organization": f"Организация {i}", "url": f"https://example.org/{i}",
              "price": "47 000,00"} for i in range(1, 4)]


def fields(**changes) -> dict:
    return {"valid_from": dt.date(2026, 3, 1), "price": Decimal("45000"),
            "need_justification": "Письмо департамента труда № 12 от 10.01.2026.", "analogues": ANALOGUES,
            "uniqueness_justification": "", **changes}


@pytest.fixture
def program(partner_a, campaign):
    return awaiting_program(partner_a, campaign)


@pytest.fixture
def contract(operator_org, partner_a, campaign, program):
    return contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org, programs=[program])


def create(actor, contract, program, **changes) -> CostProposal:
    return services.cost_proposal_create(actor=actor, contract=contract, program=program,
                                         calculation_file=pdf_file(), **fields(**changes))


def ready(proposal: CostProposal) -> CostProposal:
    document = proposal.document
    document.file.save("p.pdf", ContentFile(pdf_bytes()), save=False)
    document.mark_ready(sha256="0" * 64)
    document.save()
    return proposal


def signed(actor, proposal) -> CostProposal:
    return services.cost_proposal_sign(actor=actor, proposal=ready(proposal), file=signature_file())


def test_the_partner_creates_a_proposal_with_a_pending_document(staff_a, contract, program,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        proposal = create(staff_a, contract, program)
    assert proposal.status == CostProposal.Status.GENERATED
    assert proposal.document.status == GeneratedDocument.Status.PENDING
    assert proposal.calculation_file.read() == pdf_bytes()
    assert proposal.analogues[0]["price"] == "47000.00"
    assert len(callbacks) == 1


@pytest.mark.parametrize("persona", ["staff_b", "operator_reviewer", "employment_reviewer"])
def test_only_the_partners_staff_create_it(personas, persona, contract, program):
    with pytest.raises(PermissionDenied):
        create(personas[persona], contract, program)
    assert not CostProposal.objects.exists()


def test_the_contract_must_be_registered(staff_a, operator_org, partner_a, campaign, program):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    with pytest.raises(ValidationError, match="зарегистрированному"):
        create(staff_a, contract, program)


def test_the_program_must_be_in_the_contract_or_a_signed_addon(staff_a, contract, partner_a, campaign):
    outside = awaiting_program(partner_a, campaign)
    with pytest.raises(ValidationError, match="не входит в договор"):
        create(staff_a, contract, outside)
    addon = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract, programs=[outside])
    with pytest.raises(ValidationError, match="не входит в договор"):
        create(staff_a, contract, outside)
    AddOnAgreement.objects.filter(pk=addon.pk).update(status=AddOnAgreement.Status.SIGNED_BY_BOTH)
    assert create(staff_a, contract, outside).program == outside


def test_one_proposal_per_program_and_contract(staff_a, contract, program):
    create(staff_a, contract, program)
    with pytest.raises(ValidationError, match="уже подано"):
        create(staff_a, contract, program)


@pytest.mark.parametrize(("changes", "message"), [
    ({"analogues": ANALOGUES[:2]}, "обоснуйте уникальность"),
    ({"analogues": [*ANALOGUES, ANALOGUES[0]]}, "не более трёх"),
    ({"analogues": [{**ANALOGUES[0], "url": "javascript:alert(1)"}, *ANALOGUES[1:]]}, "http"),
    ({"analogues": [{**ANALOGUES[0], "organization": ""}, *ANALOGUES[1:]]}, "Аналог 1: заполните"),
    ({"analogues": [{**ANALOGUES[0], "price": "дорого"}, *ANALOGUES[1:]]}, "числом"),
    ({"price": Decimal("0")}, "больше нуля"),
    ({"need_justification": " "}, "потребность"),
])
def test_the_fields_are_checked(staff_a, contract, program, changes, message):
    with pytest.raises(ValidationError) as error:
        create(staff_a, contract, program, **changes)
    assert message.lower() in " ".join(error.value.messages).lower()
    assert not CostProposal.objects.exists()


def test_fewer_analogues_with_a_uniqueness_justification_are_accepted(staff_a, contract, program):
    proposal = create(staff_a, contract, program, analogues=[],
                      uniqueness_justification="Единственная программа с аккредитованным тренажёром.")
    assert proposal.analogues == []


def test_the_calculation_must_really_be_a_pdf(staff_a, contract, program):
    with pytest.raises(ValidationError, match="не является PDF"):
        services.cost_proposal_create(actor=staff_a, contract=contract, program=program,
                                      calculation_file=pdf_file("calc.pdf", b"\x89PNG\r\n\x1a\n...."), **fields())
    assert not CostProposal.objects.exists()


def test_no_partner_signatory_is_a_clear_error(staff_a, contract, program, partner_a):
    partner_a.signatories.update(valid_to=dt.date(2025, 6, 30))
    with pytest.raises(ValidationError, match="нет подписанта"):
        create(staff_a, contract, program)


def test_reject_edit_regenerate_resign_approve(staff_a, operator_reviewer, contract, program,
                                               django_capture_on_commit_callbacks):
    proposal = signed(staff_a, create(staff_a, contract, program))
    assert proposal.status == CostProposal.Status.SIGNED_BY_PARTNER
    assert OutgoingEmail.objects.filter(to=operator_reviewer.email).count() == 1
    first_document = proposal.document

    with pytest.raises(ValidationError, match="причину"):
        services.cost_proposal_reject(actor=operator_reviewer, proposal=proposal, comment="  ")
    proposal = services.cost_proposal_reject(actor=operator_reviewer, proposal=proposal,
                                             comment="Аналог 2 — другой вид программы.")
    assert (proposal.status, proposal.operator_comment) == (CostProposal.Status.REJECTED,
                                                            "Аналог 2 — другой вид программы.")
    assert "отклонено" in OutgoingEmail.objects.get(to=staff_a.email).subject

    new_calculation = pdf_bytes(pages=2)
    with django_capture_on_commit_callbacks() as callbacks:
        proposal = services.cost_proposal_resubmit(
            actor=staff_a, proposal=proposal, calculation_file=pdf_file("new.pdf", new_calculation),
            **fields(price=Decimal("43000")))
    assert proposal.status == CostProposal.Status.GENERATED
    assert proposal.price == Decimal("43000")
    assert proposal.document != first_document
    assert proposal.document.status == GeneratedDocument.Status.PENDING
    assert GeneratedDocument.objects.get(pk=first_document.pk).signatures.count() == 1  # kept
    assert proposal.calculation_file.read() == new_calculation
    assert len(callbacks) == 1

    proposal = signed(staff_a, proposal)
    assert proposal.document.signatures.get().party == Signature.Party.PARTNER
    proposal = services.cost_proposal_approve(actor=operator_reviewer, proposal=proposal)
    assert (proposal.status, proposal.operator_comment) == (CostProposal.Status.APPROVED, "")
    assert [e.transition for e in proposal.events.order_by("created_at", "pk")] == [
        "generate", "sign", "reject", "regenerate", "sign", "approve"]
    assert Program.objects.get(pk=program.pk).status == Program.Status.READY_TO_SEND


def test_only_a_rejected_proposal_is_resubmitted(staff_a, contract, program):
    proposal = create(staff_a, contract, program)
    with pytest.raises(InvalidTransition):
        services.cost_proposal_resubmit(actor=staff_a, proposal=proposal, **fields(price=Decimal(1)))
    assert CostProposal.objects.get(pk=proposal.pk).price == Decimal("45000")


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "employment_reviewer"])
def test_only_the_operator_decides(personas, persona, staff_a, contract, program):
    proposal = signed(staff_a, create(staff_a, contract, program))
    with pytest.raises(PermissionDenied):
        services.cost_proposal_approve(actor=personas[persona], proposal=proposal)
    with pytest.raises(PermissionDenied):
        services.cost_proposal_reject(actor=personas[persona], proposal=proposal, comment="нет")
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.SIGNED_BY_PARTNER


def test_an_unsigned_proposal_cannot_be_decided(operator_reviewer, staff_a, contract, program):
    proposal = create(staff_a, contract, program)
    with pytest.raises(InvalidTransition):
        services.cost_proposal_approve(actor=operator_reviewer, proposal=proposal)
    with pytest.raises(InvalidTransition, match="недоступно в статусе «Сгенерировано»"):
        services.cost_proposal_reject(actor=operator_reviewer, proposal=proposal, comment="нет")
    assert not proposal.events.exclude(transition="generate").exists()


def test_the_operator_cannot_sign_for_the_partner(operator_reviewer, staff_a, contract, program):
    proposal = ready(create(staff_a, contract, program))
    with pytest.raises(PermissionDenied):
        services.cost_proposal_sign(actor=operator_reviewer, proposal=proposal, file=signature_file())


def test_a_failed_render_is_regenerated_by_the_partner(staff_a, contract, program):
    proposal = create(staff_a, contract, program)
    document = proposal.document
    document.mark_failed(error="boom")
    document.save()
    proposal = services.cost_proposal_document_regenerate(actor=staff_a, proposal=proposal)
    assert proposal.document != document
    assert proposal.status == CostProposal.Status.GENERATED


# Readiness: registered contract AND approved cost proposal, in either order ---------------------

def test_ready_when_the_proposal_is_approved_after_registration(staff_a, operator_reviewer, operator_org,
                                                                partner_a, campaign, program):
    add_signatory(operator_org)
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    contract = services.contract_register(actor=operator_reviewer, contract=contract, number="1",
                                          date=dt.date(2026, 2, 10))
    assert Program.objects.get(pk=program.pk).status == Program.Status.AWAITING_CONTRACT
    proposal = signed(staff_a, create(staff_a, contract, program))
    assert Program.objects.get(pk=program.pk).status == Program.Status.AWAITING_CONTRACT
    services.cost_proposal_approve(actor=operator_reviewer, proposal=proposal)
    assert Program.objects.get(pk=program.pk).status == Program.Status.READY_TO_SEND


def test_ready_when_the_contract_is_registered_after_the_approval(operator_reviewer, operator_org, partner_a,
                                                                  campaign, program):
    """Through the cabinet a proposal follows the registration (reference §6.2), but the rule does
    not depend on the order: an approved price already on file (e.g. migrated) counts at registration."""
    from tests.programs.factories import CostProposalFactory

    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    CostProposalFactory(program=program, contract=contract, status=CostProposal.Status.APPROVED)
    assert Program.objects.get(pk=program.pk).status == Program.Status.AWAITING_CONTRACT
    services.contract_register(actor=operator_reviewer, contract=contract, number="1", date=dt.date(2026, 2, 10))
    assert Program.objects.get(pk=program.pk).status == Program.Status.READY_TO_SEND


def test_ready_through_an_addon_signed_by_both(staff_a, operator_reviewer, contract, partner_a, campaign):
    late = awaiting_program(partner_a, campaign)
    addon = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract, programs=[late])
    services.addon_set_signed_on(actor=operator_reviewer, addon=addon, signed_on=dt.date(2026, 3, 1))
    proposal = signed(staff_a, create(staff_a, contract, late))
    services.cost_proposal_approve(actor=operator_reviewer, proposal=proposal)
    assert Program.objects.get(pk=late.pk).status == Program.Status.READY_TO_SEND


def test_a_rejected_proposal_does_not_make_the_program_ready(staff_a, operator_reviewer, contract, program):
    proposal = signed(staff_a, create(staff_a, contract, program))
    services.cost_proposal_reject(actor=operator_reviewer, proposal=proposal, comment="Нет аналогов")
    assert Program.objects.get(pk=program.pk).status == Program.Status.AWAITING_CONTRACT
