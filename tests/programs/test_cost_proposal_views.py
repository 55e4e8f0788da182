"""Cost proposal pages: the partner's form (three analogues or a uniqueness justification, a real PDF
calculation), the page with its files, the operator's decision, the correction of a rejected one.
Partner B never sees partner A's proposals (404)."""
import pytest
from django.urls import reverse

from programs.models import CostProposal, TrainingContract
from tests.factories import MembershipFactory, OrganizationFactory
from tests.programs.factories import CostProposalFactory
from tests.programs.test_contract_support import (
    add_signatory,
    awaiting_program,
    contract_in,
    pdf_file,
    ready_document,
    signature_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(partner_a, campaign):
    return awaiting_program(partner_a, campaign, title="Бухгалтер")


@pytest.fixture
def contract(operator_org, partner_a, campaign, program):
    return contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org, programs=[program])


def form_data(**changes) -> dict:
    data = {"valid_from": "2026-03-01", "price": "45000.00", "need_justification": "Вакансии: 40 (РР, 01.02.2026).",
            "uniqueness_justification": "", "calculation_file": pdf_file()}
    for i in range(1, 4):
        data.update({f"analogue_{i}_title": f"Аналог {i}", f"analogue_{i}_organization": f"Вуз {i}",
                     f"analogue_{i}_url": f"https://vuz{i}.example.org/", f"analogue_{i}_price": "47000"})
    return {**data, **changes}


def proposal_for(contract, program, status) -> CostProposal:
    proposal = CostProposalFactory(program=program, contract=contract, status=status)
    proposal.document = ready_document(kind="cost_proposal", title=str(proposal))
    proposal.save(update_fields=["document"])
    return proposal


def test_the_partner_creates_a_proposal_from_its_contract(client, staff_a, contract, program,
                                                          django_capture_on_commit_callbacks):
    client.force_login(staff_a)
    url = reverse("programs:cost_proposal_create", args=[contract.pk])
    page = client.get(url, {"program": program.pk})
    assert page.status_code == 200
    assert page.context["form"]["program"].value() == str(program.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"program": program.pk, **form_data()})
    proposal = CostProposal.objects.get()
    assert response["Location"] == proposal.get_absolute_url()
    assert [a["organization"] for a in proposal.analogues] == ["Вуз 1", "Вуз 2", "Вуз 3"]
    assert proposal.document.status == "ready"


def test_two_analogues_without_a_justification_are_refused_on_the_form(client, staff_a, contract, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:cost_proposal_create", args=[contract.pk]),
                           {"program": program.pk, **form_data(analogue_3_title="", analogue_3_organization="",
                                                               analogue_3_url="", analogue_3_price="")})
    assert response.status_code == 200
    assert "обоснуйте уникальность" in response.content.decode()
    assert not CostProposal.objects.exists()


def test_a_calculation_that_is_not_a_pdf_is_refused_on_the_form(client, staff_a, contract, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:cost_proposal_create", args=[contract.pk]), {
        "program": program.pk, **form_data(calculation_file=pdf_file("calc.pdf", b"MZ\x90\x00 executable"))})
    assert response.status_code == 200
    assert "не является PDF" in response.content.decode()
    assert not CostProposal.objects.exists()


@pytest.mark.parametrize("persona", ["operator_reviewer", "employment_reviewer"])
def test_only_the_partner_opens_the_form(client, personas, contract, persona):
    client.force_login(personas[persona])
    expected = 403 if persona == "operator_reviewer" else 404
    assert client.get(reverse("programs:cost_proposal_create", args=[contract.pk])).status_code == expected


def test_partner_b_never_sees_partner_as_proposals(client, staff_b, contract, program):
    proposal = proposal_for(contract, program, CostProposal.Status.SIGNED_BY_PARTNER)
    client.force_login(staff_b)
    for url in (reverse("programs:cost_proposal_detail", args=[proposal.pk]),
                reverse("programs:cost_proposal_edit", args=[proposal.pk]),
                reverse("programs:cost_proposal_create", args=[contract.pk]),
                *(reverse("programs:cost_proposal_file", args=[proposal.pk, which])
                  for which in ("pdf", "sig-partner", "calculation"))):
        assert client.get(url).status_code == 404, url


def test_a_partner_with_two_organisations_sees_both_but_no_third(client, staff_a, contract, program, campaign,
                                                                  operator_org):
    second = OrganizationFactory(short_name="Филиал")
    MembershipFactory(organization=second, user=staff_a)
    other = OrganizationFactory()
    own = proposal_for(contract_in(TrainingContract.Status.REGISTERED, partner=second, campaign=campaign,
                                   operator_org=operator_org, number="Ф-1"),
                       awaiting_program(second, campaign), CostProposal.Status.GENERATED)
    foreign = proposal_for(contract_in(TrainingContract.Status.REGISTERED, partner=other, campaign=campaign,
                                       operator_org=operator_org, number="Д-1"),
                           awaiting_program(other, campaign), CostProposal.Status.GENERATED)
    client.force_login(staff_a)
    assert client.get(reverse("programs:cost_proposal_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("programs:cost_proposal_detail", args=[foreign.pk])).status_code == 404


def test_the_page_offers_the_calculation_and_the_operators_decision(client, operator_reviewer, contract, program):
    proposal = proposal_for(contract, program, CostProposal.Status.SIGNED_BY_PARTNER)
    client.force_login(operator_reviewer)
    html = client.get(reverse("programs:cost_proposal_detail", args=[proposal.pk])).content.decode()
    assert reverse("programs:cost_proposal_approve", args=[proposal.pk]) in html
    assert reverse("programs:cost_proposal_reject", args=[proposal.pk]) in html
    response = client.get(reverse("programs:cost_proposal_file", args=[proposal.pk, "calculation"]))
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_operator_rejects_with_a_comment_and_the_partner_corrects(client, staff_a, operator_reviewer,
                                                                     contract, program, partner_a):
    add_signatory(partner_a)
    proposal = proposal_for(contract, program, CostProposal.Status.SIGNED_BY_PARTNER)
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:cost_proposal_reject", args=[proposal.pk]), {"comment": ""},
                           follow=True)
    assert "Укажите причину" in response.content.decode()
    client.post(reverse("programs:cost_proposal_reject", args=[proposal.pk]), {"comment": "Цена выше рынка"})
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.REJECTED

    client.force_login(staff_a)
    page = client.get(reverse("programs:cost_proposal_edit", args=[proposal.pk]))
    assert "Цена выше рынка" in page.content.decode()
    assert page.context["form"].initial["price"] == proposal.price
    data = form_data(price="42000.00")
    del data["calculation_file"]  # keeps the calculation already on file
    response = client.post(reverse("programs:cost_proposal_edit", args=[proposal.pk]), data)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, str(proposal.price)) == (CostProposal.Status.GENERATED, "42000.00")


def test_only_a_rejected_proposal_has_an_edit_form(client, staff_a, contract, program):
    proposal = proposal_for(contract, program, CostProposal.Status.SIGNED_BY_PARTNER)
    client.force_login(staff_a)
    response = client.get(reverse("programs:cost_proposal_edit", args=[proposal.pk]), follow=True)
    assert "только отклонённое" in response.content.decode()


def test_the_operator_approves_through_the_page(client, operator_reviewer, contract, program):
    proposal = proposal_for(contract, program, CostProposal.Status.SIGNED_BY_PARTNER)
    client.force_login(operator_reviewer)
    client.post(reverse("programs:cost_proposal_approve", args=[proposal.pk]))
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.APPROVED


def test_the_partner_signs_through_the_page(client, staff_a, contract, program):
    proposal = proposal_for(contract, program, CostProposal.Status.GENERATED)
    client.force_login(staff_a)
    client.post(reverse("programs:cost_proposal_sign", args=[proposal.pk]), {"file": signature_file()})
    assert CostProposal.objects.get(pk=proposal.pk).status == CostProposal.Status.SIGNED_BY_PARTNER
