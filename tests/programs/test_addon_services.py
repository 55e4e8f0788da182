"""Add-on agreements: programs approved after the contract join it while its quota lasts; ready to
generate → generated → signed by the operator → the partner's signature → the signing date →
signed by both (then the programs count as contracted)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from programs.models import AddOnAgreement, Program, TrainingContract
from programs.selectors_contracts import contracted_programs
from programs.services import contracts as services
from tests.programs.test_contract_support import addon_in, awaiting_program, contract_in, signature_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(operator_org, partner_a, campaign):
    return contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org, programs=[awaiting_program(partner_a, campaign)])


@pytest.fixture
def new_program(partner_a, campaign):
    return awaiting_program(partner_a, campaign, title="Новая программа")


def test_the_whole_path_to_signed_by_both(operator_reviewer, staff_a, contract, new_program,
                                          django_capture_on_commit_callbacks):
    addon = services.addon_create(actor=operator_reviewer, contract=contract, programs=[new_program])
    assert (addon.number, addon.status) == (1, AddOnAgreement.Status.READY_TO_GENERATE)

    with django_capture_on_commit_callbacks() as callbacks:
        addon = services.addon_generate(actor=operator_reviewer, addon=addon)
    assert addon.status == AddOnAgreement.Status.GENERATED
    assert addon.document.status == GeneratedDocument.Status.PENDING
    assert len(callbacks) == 1
    _make_ready(addon)

    addon = services.addon_sign_by_operator(actor=operator_reviewer, addon=addon, file=signature_file())
    assert addon.status == AddOnAgreement.Status.SIGNED_BY_OPERATOR
    assert OutgoingEmail.objects.get().to == staff_a.email

    addon = services.addon_sign_by_partner(actor=staff_a, addon=addon, file=signature_file())
    assert addon.status == AddOnAgreement.Status.DATE_REQUIRED
    assert new_program not in contracted_programs(contract)

    addon = services.addon_set_signed_on(actor=operator_reviewer, addon=addon, signed_on=dt.date(2026, 3, 5))
    assert (addon.status, addon.signed_on) == (AddOnAgreement.Status.SIGNED_BY_BOTH, dt.date(2026, 3, 5))
    assert new_program in contracted_programs(contract)
    assert [e.transition for e in addon.events.order_by("created_at", "pk")] == [
        "create", "generate", "sign_by_operator", "sign_by_partner", "set_signed_on"]


def _make_ready(addon):
    document = addon.document
    document.file.save("a.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.mark_ready(sha256="0" * 64)
    document.save()


@pytest.mark.parametrize(("reserved_money", "reserved_seats"), [(Decimal("1000000"), 0), (Decimal("0"), 20)])
def test_an_exhausted_quota_refuses_an_addon(operator_reviewer, contract, new_program, reserved_money, reserved_seats):
    TrainingContract.objects.filter(pk=contract.pk).update(reserved_money=reserved_money,
                                                           reserved_seats=reserved_seats)
    with pytest.raises(ValidationError) as error:
        services.addon_create(actor=operator_reviewer, contract=contract, programs=[new_program])
    assert "Квота договора" in error.value.messages[0]
    assert "нужен новый договор" in error.value.messages[0]
    assert not AddOnAgreement.objects.exists()


def test_an_exhausted_quota_also_refuses_generation(operator_reviewer, contract, new_program):
    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract, programs=[new_program])
    TrainingContract.objects.filter(pk=contract.pk).update(reserved_seats=20)
    with pytest.raises(ValidationError, match="исчерпана"):
        services.addon_generate(actor=operator_reviewer, addon=addon)
    assert AddOnAgreement.objects.get(pk=addon.pk).status == AddOnAgreement.Status.READY_TO_GENERATE


def test_an_addon_needs_a_contract_signed_by_both(operator_reviewer, operator_org, partner_a, campaign, new_program):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_OPERATOR, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    with pytest.raises(ValidationError, match="подписанному двумя сторонами"):
        services.addon_create(actor=operator_reviewer, contract=contract, programs=[new_program])


def test_only_eligible_programs_join(operator_reviewer, contract, partner_b, campaign):
    in_contract = contract.programs.get()
    with pytest.raises(ValidationError, match="нельзя включить"):
        services.addon_create(actor=operator_reviewer, contract=contract, programs=[in_contract])
    with pytest.raises(ValidationError, match="нельзя включить"):
        services.addon_create(actor=operator_reviewer, contract=contract,
                              programs=[awaiting_program(partner_b, campaign)])


def test_numbers_follow_each_other(operator_reviewer, contract, partner_a, campaign):
    first = services.addon_create(actor=operator_reviewer, contract=contract,
                                  programs=[awaiting_program(partner_a, campaign)])
    second = services.addon_create(actor=operator_reviewer, contract=contract,
                                   programs=[awaiting_program(partner_a, campaign)])
    assert (first.number, second.number) == (1, 2)


def test_the_operator_may_change_the_programs_when_generating(operator_reviewer, contract, new_program,
                                                              partner_a, campaign):
    other = awaiting_program(partner_a, campaign)
    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract, programs=[new_program])
    addon = services.addon_generate(actor=operator_reviewer, addon=addon, programs=[other])
    assert list(addon.programs.all()) == [other]


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "employment_reviewer"])
def test_only_the_operator_creates_generates_signs_first_and_enters_the_date(personas, persona, contract,
                                                                            new_program):
    user = personas[persona]
    with pytest.raises(PermissionDenied):
        services.addon_create(actor=user, contract=contract, programs=[new_program])
    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract, programs=[new_program])
    with pytest.raises(PermissionDenied):
        services.addon_generate(actor=user, addon=addon)
    generated = addon_in(AddOnAgreement.Status.GENERATED, contract=contract, number=2)
    with pytest.raises(PermissionDenied):
        services.addon_sign_by_operator(actor=user, addon=generated, file=signature_file())
    dated = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract, number=3)
    with pytest.raises(PermissionDenied):
        services.addon_set_signed_on(actor=user, addon=dated, signed_on=dt.date(2026, 3, 5))


def test_steps_out_of_order_are_refused(operator_reviewer, staff_a, contract, new_program):
    addon = addon_in(AddOnAgreement.Status.GENERATED, contract=contract, programs=[new_program])
    with pytest.raises(InvalidTransition):
        services.addon_sign_by_partner(actor=staff_a, addon=addon, file=signature_file())
    with pytest.raises(InvalidTransition):
        services.addon_set_signed_on(actor=operator_reviewer, addon=addon, signed_on=dt.date(2026, 3, 5))
    assert AddOnAgreement.objects.get(pk=addon.pk).status == AddOnAgreement.Status.GENERATED
    assert not addon.document.signatures.exists()


def test_the_signing_date_is_checked(operator_reviewer, contract):
    addon = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract)
    with pytest.raises(ValidationError, match="не раньше даты договора"):
        services.addon_set_signed_on(actor=operator_reviewer, addon=addon, signed_on=dt.date(2025, 12, 31))
    assert AddOnAgreement.objects.get(pk=addon.pk).status == AddOnAgreement.Status.DATE_REQUIRED


def test_a_program_of_a_signed_addon_does_not_go_ready_without_an_approved_price(operator_reviewer, contract,
                                                                                 new_program):
    addon = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract, programs=[new_program])
    services.addon_set_signed_on(actor=operator_reviewer, addon=addon, signed_on=dt.date(2026, 3, 5))
    assert Program.objects.get(pk=new_program.pk).status == Program.Status.AWAITING_CONTRACT
