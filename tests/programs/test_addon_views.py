"""Add-on agreement pages: the operator generates and signs, the partner sees it only once the
operator has signed (404 before), signs it, and the operator enters the signing date."""
import pytest
from django.urls import reverse

from programs.models import AddOnAgreement, TrainingContract
from tests.programs.test_contract_support import addon_in, awaiting_program, contract_in, signature_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(operator_org, partner_a, campaign):
    return contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                       operator_org=operator_org)


def _status(addon) -> str:
    return AddOnAgreement.objects.get(pk=addon.pk).status


@pytest.mark.parametrize("status", [AddOnAgreement.Status.READY_TO_GENERATE, AddOnAgreement.Status.GENERATED])
def test_the_partner_does_not_see_an_addon_before_the_operators_signature(client, staff_a, contract, status):
    addon = addon_in(status, contract=contract)
    client.force_login(staff_a)
    assert client.get(reverse("programs:addon_detail", args=[addon.pk])).status_code == 404
    assert client.get(reverse("programs:addon_file", args=[addon.pk, "pdf"])).status_code == 404
    html = client.get(reverse("programs:contract_detail", args=[contract.pk])).content.decode()
    assert reverse("programs:addon_detail", args=[addon.pk]) not in html


def test_the_operator_generates_with_the_programs_chosen(client, operator_reviewer, contract, partner_a, campaign,
                                                         django_capture_on_commit_callbacks):
    programs = [awaiting_program(partner_a, campaign, title=f"Новая {i}") for i in range(2)]
    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract, programs=programs)
    client.force_login(operator_reviewer)
    page = client.get(reverse("programs:addon_detail", args=[addon.pk]))
    assert set(page.context["programs_form"].fields["programs"].queryset) == set(programs)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programs:addon_generate", args=[addon.pk]), {"programs": [programs[1].pk]})
    addon.refresh_from_db()
    assert addon.status == AddOnAgreement.Status.GENERATED
    assert list(addon.programs.all()) == [programs[1]]
    assert addon.document.status == "ready"
    response = client.get(reverse("programs:addon_file", args=[addon.pk, "pdf"]))
    assert response["Content-Disposition"].startswith("attachment;")


def test_signatures_and_the_date_through_the_pages(client, operator_reviewer, staff_a, contract):
    addon = addon_in(AddOnAgreement.Status.GENERATED, contract=contract)
    client.force_login(operator_reviewer)
    client.post(reverse("programs:addon_sign_operator", args=[addon.pk]), {"file": signature_file()})
    assert _status(addon) == AddOnAgreement.Status.SIGNED_BY_OPERATOR

    client.force_login(staff_a)
    page = client.get(reverse("programs:addon_detail", args=[addon.pk]))
    assert page.context["actions"].sign_partner
    client.post(reverse("programs:addon_sign_partner", args=[addon.pk]), {"file": signature_file()})
    assert _status(addon) == AddOnAgreement.Status.DATE_REQUIRED
    assert client.get(reverse("programs:addon_file", args=[addon.pk, "sig-operator"])).status_code == 200

    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:addon_set_date", args=[addon.pk]), {"signed_on": "2026-03-05"},
                           follow=True)
    assert "подписано двумя сторонами" in response.content.decode()
    assert _status(addon) == AddOnAgreement.Status.SIGNED_BY_BOTH


def test_the_partner_cannot_enter_the_date(client, staff_a, contract):
    addon = addon_in(AddOnAgreement.Status.DATE_REQUIRED, contract=contract)
    client.force_login(staff_a)
    assert client.post(reverse("programs:addon_set_date", args=[addon.pk]),
                       {"signed_on": "2026-03-05"}).status_code == 403
    assert _status(addon) == AddOnAgreement.Status.DATE_REQUIRED


def test_partner_b_never_sees_partner_as_addons(client, staff_b, contract):
    addon = addon_in(AddOnAgreement.Status.SIGNED_BY_BOTH, contract=contract)
    client.force_login(staff_b)
    for url in (reverse("programs:addon_detail", args=[addon.pk]),
                *(reverse("programs:addon_file", args=[addon.pk, which])
                  for which in ("pdf", "sig-operator", "sig-partner"))):
        assert client.get(url).status_code == 404, url
