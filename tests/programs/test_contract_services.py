"""Training contract steps through the services: who may run each, what each refuses (with a
Russian message, changing nothing), the e-mails and the history rows."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument, Signature
from programs.models import Program, TrainingContract
from programs.services import contracts as services
from tests.programs.factories import ProgramFactory
from tests.programs.test_contract_support import (
    add_signatory,
    awaiting_program,
    contract_in,
    signature_file,
)

pytestmark = pytest.mark.django_db

TERMS = {"number": "ДО-1", "contract_date": dt.date(2026, 2, 1), "valid_until": dt.date(2026, 12, 31),
         "quota_money": Decimal("1000000"), "quota_seats": 20}


@pytest.fixture
def signatories(operator_org, partner_a):
    return add_signatory(operator_org), add_signatory(partner_a)


@pytest.fixture
def generated(operator_org, partner_a, campaign, signatories):
    return contract_in(TrainingContract.Status.GENERATED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org, programs=[awaiting_program(partner_a, campaign)])


def _status(contract) -> str:
    return TrainingContract.objects.get(pk=contract.pk).status


# Generating -----------------------------------------------------------------------------------

def test_the_operator_generates_a_contract_with_a_pending_document_and_a_queued_task(
        operator_reviewer, partner_a, campaign, signatories, django_capture_on_commit_callbacks):
    programs = [awaiting_program(partner_a, campaign) for _ in range(2)]
    with django_capture_on_commit_callbacks() as callbacks:
        contract = services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                                              programs=programs, **TERMS)
    assert contract.status == TrainingContract.Status.GENERATED
    assert contract.document.status == GeneratedDocument.Status.PENDING
    assert set(contract.programs.all()) == set(programs)
    assert (contract.operator_signatory, contract.partner_signatory) == signatories
    assert contract.events.get().transition == "generate"
    assert len(callbacks) == 1  # the render task, after commit


@pytest.mark.parametrize("persona", ["staff_a", "employment_reviewer", "citizen"])
def test_only_the_operator_generates(personas, persona, partner_a, campaign, signatories):
    with pytest.raises(PermissionDenied):
        services.contract_generate(actor=personas[persona], partner=partner_a, campaign=campaign,
                                   programs=[awaiting_program(partner_a, campaign)], **TERMS)
    assert not TrainingContract.objects.exists()


def test_programs_must_be_the_partners_and_awaiting_a_contract(operator_reviewer, partner_a, partner_b, campaign,
                                                                signatories):
    others = [ProgramFactory(partner=partner_a, campaign=campaign),  # still in revision
              awaiting_program(partner_b, campaign)]
    for program in others:
        with pytest.raises(ValidationError, match="нельзя включить"):
            services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                                       programs=[program], **TERMS)
    with pytest.raises(ValidationError, match="хотя бы одну программу"):
        services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign, programs=[],
                                   **TERMS)
    assert not TrainingContract.objects.exists()


def test_a_program_goes_into_one_contract_only(operator_reviewer, partner_a, campaign, signatories):
    program = awaiting_program(partner_a, campaign)
    services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign, programs=[program],
                               **TERMS)
    with pytest.raises(ValidationError, match="нельзя включить"):
        services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                                   programs=[program], **{**TERMS, "number": "ДО-2"})


def test_the_number_is_unique_in_the_campaign(operator_reviewer, partner_a, campaign, signatories):
    services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                               programs=[awaiting_program(partner_a, campaign)], **TERMS)
    with pytest.raises(ValidationError, match="уже есть"):
        services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                                   programs=[awaiting_program(partner_a, campaign)], **TERMS)
    assert TrainingContract.objects.count() == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"valid_until": dt.date(2026, 1, 31)}, "раньше даты договора"),
    ({"quota_money": Decimal(0)}, "больше нуля"),
    ({"quota_seats": 0}, "больше нуля"),
    ({"number": "  "}, "номер"),
])
def test_the_terms_are_checked(operator_reviewer, partner_a, campaign, signatories, change, message):
    with pytest.raises(ValidationError, match=message):
        services.contract_generate(actor=operator_reviewer, partner=partner_a, campaign=campaign,
                                   programs=[awaiting_program(partner_a, campaign)], **{**TERMS, **change})


def test_regenerating_keeps_the_old_document(operator_reviewer, generated):
    old = generated.document
    contract = services.contract_document_regenerate(actor=operator_reviewer, contract=generated)
    assert contract.document != old
    assert GeneratedDocument.objects.filter(pk=old.pk).exists()
    assert contract.events.get().transition == "regenerate"


# Signing ------------------------------------------------------------------------------------

def test_the_operator_signs_then_the_partner_is_told(operator_reviewer, staff_a, staff_b, generated):
    contract = services.contract_sign_by_operator(actor=operator_reviewer, contract=generated,
                                                  file=signature_file("fo.sig"))
    assert contract.status == TrainingContract.Status.SIGNED_BY_OPERATOR
    signature = contract.document.signatures.get()
    assert (signature.party, signature.original_name) == (Signature.Party.OPERATOR, "fo.sig")
    event = contract.events.get()
    assert (event.actor, event.source, event.target) == (operator_reviewer, "generated", "signed_by_operator")
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [staff_a.email]
    assert "ждёт вашей подписи" in OutgoingEmail.objects.get().subject


def test_a_non_cms_file_is_refused_as_a_signature_and_nothing_changes(operator_reviewer, generated):
    with pytest.raises(ValidationError, match="не является электронной подписью"):
        services.contract_sign_by_operator(actor=operator_reviewer, contract=generated,
                                           file=signature_file("contract.sig", b"%PDF-1.4\nnot a signature"))
    assert _status(generated) == TrainingContract.Status.GENERATED
    assert not Signature.objects.exists()
    assert not generated.events.exists()
    assert not OutgoingEmail.objects.exists()


def test_a_document_still_rendering_cannot_be_signed(operator_reviewer, generated):
    generated.document = GeneratedDocument.objects.create(kind="training_contract", title="т")
    generated.save(update_fields=["document"])
    with pytest.raises(ValidationError, match="ещё формируется"):
        services.contract_sign_by_operator(actor=operator_reviewer, contract=generated, file=signature_file())
    assert _status(generated) == TrainingContract.Status.GENERATED


def test_the_partner_signs_after_the_operator_and_the_operator_is_told(operator_reviewer, staff_a, generated):
    contract = services.contract_sign_by_operator(actor=operator_reviewer, contract=generated, file=signature_file())
    OutgoingEmail.objects.all().delete()
    contract = services.contract_sign_by_partner(actor=staff_a, contract=contract, file=signature_file("op.sig"))
    assert contract.status == TrainingContract.Status.SIGNED_BY_BOTH
    assert set(contract.document.signatures.values_list("party", flat=True)) == {"operator", "partner"}
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [operator_reviewer.email]


@pytest.mark.parametrize(("persona", "error"), [
    ("staff_b", PermissionDenied), ("operator_reviewer", PermissionDenied), ("employment_reviewer", PermissionDenied)])
def test_only_the_partners_staff_sign_for_the_partner(personas, operator_org, partner_a, campaign, persona, error):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_OPERATOR, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    with pytest.raises(error):
        services.contract_sign_by_partner(actor=personas[persona], contract=contract, file=signature_file())
    assert _status(contract) == TrainingContract.Status.SIGNED_BY_OPERATOR


def test_the_partner_cannot_sign_before_the_operator(staff_a, generated):
    with pytest.raises(InvalidTransition, match="недоступно в статусе «Сгенерирован»"):
        services.contract_sign_by_partner(actor=staff_a, contract=generated, file=signature_file())
    assert not Signature.objects.exists()


def test_the_partner_cannot_sign_for_the_operator(staff_a, generated):
    with pytest.raises(PermissionDenied):
        services.contract_sign_by_operator(actor=staff_a, contract=generated, file=signature_file())


def test_the_operator_signs_once(operator_reviewer, generated):
    contract = services.contract_sign_by_operator(actor=operator_reviewer, contract=generated, file=signature_file())
    with pytest.raises(InvalidTransition):
        services.contract_sign_by_operator(actor=operator_reviewer, contract=contract, file=signature_file())
    assert contract.document.signatures.count() == 1


def test_a_signed_contract_is_not_regenerated(operator_reviewer, generated):
    contract = services.contract_sign_by_operator(actor=operator_reviewer, contract=generated, file=signature_file())
    with pytest.raises(InvalidTransition, match="уже подписан"):
        services.contract_document_regenerate(actor=operator_reviewer, contract=contract)


# Registration -------------------------------------------------------------------------------

def test_the_operator_registers_a_contract_signed_by_both(operator_reviewer, operator_org, partner_a, campaign):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    contract = services.contract_register(actor=operator_reviewer, contract=contract, number=" 0365100000126 ",
                                          date=dt.date(2026, 2, 10))
    assert contract.status == TrainingContract.Status.REGISTERED
    assert (contract.registration_number, contract.registration_date) == ("0365100000126", dt.date(2026, 2, 10))
    assert "0365100000126" in contract.events.get().comment


def test_registration_needs_both_signatures(operator_reviewer, operator_org, partner_a, campaign):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_OPERATOR, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    with pytest.raises(InvalidTransition):
        services.contract_register(actor=operator_reviewer, contract=contract, number="1", date=dt.date(2026, 2, 10))
    contract.refresh_from_db()
    assert (contract.status, contract.registration_number) == (TrainingContract.Status.SIGNED_BY_OPERATOR, "")


@pytest.mark.parametrize(("number", "date", "message"), [
    ("", dt.date(2026, 2, 10), "реестровый номер"),
    ("1", dt.date(2026, 1, 10), "не раньше даты договора"),
    ("1", dt.date(2099, 1, 1), "не позже сегодняшнего"),
])
def test_registration_data_are_checked(operator_reviewer, operator_org, partner_a, campaign, number, date, message):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    with pytest.raises(ValidationError, match=message):
        services.contract_register(actor=operator_reviewer, contract=contract, number=number, date=date)
    assert _status(contract) == TrainingContract.Status.SIGNED_BY_BOTH


def test_only_the_operator_registers(staff_a, operator_org, partner_a, campaign):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    with pytest.raises(PermissionDenied):
        services.contract_register(actor=staff_a, contract=contract, number="1", date=dt.date(2026, 2, 10))


def test_registration_alone_does_not_make_a_program_ready(operator_reviewer, operator_org, partner_a, campaign):
    program = awaiting_program(partner_a, campaign)
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    services.contract_register(actor=operator_reviewer, contract=contract, number="1", date=dt.date(2026, 2, 10))
    assert Program.objects.get(pk=program.pk).status == Program.Status.AWAITING_CONTRACT
