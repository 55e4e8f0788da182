"""Contract pages: the list per role, the page and its downloads (a partner never sees another
partner's contract, nor its own before the operator's signature: 404), the two-step form, and the
actions, each refused with a message when the step is not possible."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from core.models import OutgoingEmail
from documents.models import GeneratedDocument, Signature
from programs.models import TrainingContract
from tests.programs.test_contract_support import (
    add_signatory,
    awaiting_program,
    contract_in,
    der_signed_data,
    signature_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracts(operator_org, partner_a, partner_b, campaign):
    make = lambda status, partner, number: contract_in(  # noqa: E731
        status, partner=partner, campaign=campaign, operator_org=operator_org, number=number,
        programs=[awaiting_program(partner, campaign, title=f"Программа {number}")])
    return {
        "a_generated": make(TrainingContract.Status.GENERATED, partner_a, "А-1"),
        "a_signed": make(TrainingContract.Status.SIGNED_BY_OPERATOR, partner_a, "А-2"),
        "b_signed": make(TrainingContract.Status.SIGNED_BY_OPERATOR, partner_b, "Б-1"),
        "b_registered": make(TrainingContract.Status.REGISTERED, partner_b, "Б-2"),
    }


def _numbers(response) -> list[str]:
    return sorted(c.number for c in response.context["page"].object_list)


def test_the_operator_lists_every_contract_and_filters(client, operator_reviewer, contracts, partner_b):
    client.force_login(operator_reviewer)
    url = reverse("programs:contract_list")
    assert _numbers(client.get(url)) == ["А-1", "А-2", "Б-1", "Б-2"]
    assert _numbers(client.get(url, {"status": "registered"})) == ["Б-2"]
    assert _numbers(client.get(url, {"partner": partner_b.pk})) == ["Б-1", "Б-2"]
    assert _numbers(client.get(url, {"q": "А-"})) == ["А-1", "А-2"]
    assert _numbers(client.get(url, {"q": partner_b.inn})) == ["Б-1", "Б-2"]


def test_a_partner_lists_only_its_contracts_signed_by_the_operator(client, staff_a, contracts):
    client.force_login(staff_a)
    response = client.get(reverse("programs:contract_list"))
    assert _numbers(response) == ["А-2"]
    assert "partner" not in response.context["form"].fields


def test_the_list_runs_a_fixed_number_of_queries(client, operator_reviewer, contracts,
                                                 django_assert_max_num_queries):
    client.force_login(operator_reviewer)
    with django_assert_max_num_queries(12):
        client.get(reverse("programs:contract_list"))


@pytest.mark.parametrize("persona", ["citizen", "employment_reviewer"])
def test_others_have_no_contract_list(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("programs:contract_list")).status_code == 403


def test_a_partner_cannot_see_its_contract_before_the_operators_signature(client, staff_a, operator_reviewer,
                                                                          contracts):
    contract = contracts["a_generated"]
    client.force_login(staff_a)
    assert client.get(reverse("programs:contract_detail", args=[contract.pk])).status_code == 404
    assert client.get(reverse("programs:contract_file", args=[contract.pk, "pdf"])).status_code == 404

    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:contract_sign_operator", args=[contract.pk]),
                           {"file": signature_file("fo.sig")})
    assert response.status_code == 302

    client.force_login(staff_a)
    assert client.get(reverse("programs:contract_detail", args=[contract.pk])).status_code == 200
    response = client.get(reverse("programs:contract_file", args=[contract.pk, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    signature = client.get(reverse("programs:contract_file", args=[contract.pk, "sig-operator"]))
    assert b"".join(signature.streaming_content) == der_signed_data()


@pytest.mark.parametrize("which", ["pdf", "sig-operator", "sig-partner"])
def test_partner_b_never_gets_partner_as_files(client, staff_b, operator_org, partner_a, campaign, which):
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    client.force_login(staff_b)
    assert client.get(reverse("programs:contract_detail", args=[contract.pk])).status_code == 404
    assert client.get(reverse("programs:contract_file", args=[contract.pk, which])).status_code == 404


def test_unknown_files_and_missing_signatures_are_404(client, staff_a, contracts):
    client.force_login(staff_a)
    contract = contracts["a_signed"]
    assert client.get(reverse("programs:contract_file", args=[contract.pk, "sig-partner"])).status_code == 404
    assert client.get(reverse("programs:contract_file", args=[contract.pk, "secret"])).status_code == 404


def test_the_page_shows_requisites_programs_quota_and_the_partners_signature_form(client, staff_a, contracts,
                                                                                 partner_a):
    client.force_login(staff_a)
    contract = contracts["a_signed"]
    response = client.get(reverse("programs:contract_detail", args=[contract.pk]))
    html = response.content.decode()
    for fragment in (partner_a.inn, "Программа А-2", "1\u00a0000\u00a0000,00", "Подпишите договор",
                     reverse("programs:contract_sign_partner", args=[contract.pk])):
        assert fragment in html, fragment
    assert reverse("programs:contract_register", args=[contract.pk]) not in html
    assert not re.search(r"<[^>]+\sstyle\s*=", html)


def test_the_operators_page_offers_registration_once_both_signed(client, operator_reviewer, operator_org,
                                                                  partner_a, campaign):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    client.force_login(operator_reviewer)
    html = client.get(reverse("programs:contract_detail", args=[contract.pk])).content.decode()
    assert reverse("programs:contract_register", args=[contract.pk]) in html
    assert reverse("programs:contract_sign_partner", args=[contract.pk]) not in html


def test_the_detail_page_runs_a_fixed_number_of_queries(client, operator_reviewer, contracts,
                                                        django_assert_max_num_queries):
    client.force_login(operator_reviewer)
    with django_assert_max_num_queries(25):
        client.get(reverse("programs:contract_detail", args=[contracts["b_registered"].pk]))


def test_a_non_cms_signature_upload_is_refused_with_a_message(client, staff_a, contracts):
    contract = contracts["a_signed"]
    client.force_login(staff_a)
    response = client.post(reverse("programs:contract_sign_partner", args=[contract.pk]),
                           {"file": signature_file("contract.sig", b"%PDF-1.4 renamed pdf")}, follow=True)
    assert "не является электронной подписью" in response.content.decode()
    assert TrainingContract.objects.get(pk=contract.pk).status == TrainingContract.Status.SIGNED_BY_OPERATOR
    assert not contract.document.signatures.filter(party=Signature.Party.PARTNER).exists()


def test_the_partner_signs_through_the_page_and_the_operator_is_told(client, staff_a, operator_reviewer,
                                                                      contracts):
    contract = contracts["a_signed"]
    client.force_login(staff_a)
    response = client.post(reverse("programs:contract_sign_partner", args=[contract.pk]),
                           {"file": signature_file("op.sig")}, follow=True)
    assert "Подпись загружена" in response.content.decode()
    assert TrainingContract.objects.get(pk=contract.pk).status == TrainingContract.Status.SIGNED_BY_BOTH
    assert OutgoingEmail.objects.filter(to=operator_reviewer.email).exists()


def test_the_operator_registers_through_the_page(client, operator_reviewer, operator_org, partner_a, campaign):
    contract = contract_in(TrainingContract.Status.SIGNED_BY_BOTH, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    client.force_login(operator_reviewer)
    client.post(reverse("programs:contract_register", args=[contract.pk]),
                {"number": "0365100000126000001", "date": "2026-02-10"})
    contract.refresh_from_db()
    assert (contract.status, contract.registration_number) == (TrainingContract.Status.REGISTERED,
                                                               "0365100000126000001")


def test_an_illegal_step_through_the_page_is_a_message(client, operator_reviewer, contracts):
    contract = contracts["a_signed"]
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:contract_register", args=[contract.pk]),
                           {"number": "1", "date": "2026-02-10"}, follow=True)
    assert "недоступно в статусе" in response.content.decode()
    assert TrainingContract.objects.get(pk=contract.pk).registration_number == ""


def test_the_two_step_form_generates_a_contract(client, operator_reviewer, operator_org, partner_a, campaign,
                                                django_capture_on_commit_callbacks):
    add_signatory(operator_org)
    add_signatory(partner_a)
    programs = [awaiting_program(partner_a, campaign, title=f"Программа {i}") for i in range(2)]
    client.force_login(operator_reviewer)
    url = reverse("programs:contract_create")
    step_one = client.get(url)
    assert list(step_one.context["chooser"].fields["partner"].queryset) == [partner_a]
    step_two = client.get(url, {"partner": partner_a.pk})
    assert step_two.context["form"].initial["programs"] == [p.pk for p in programs]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"partner": partner_a.pk, "campaign": campaign.pk, "number": "ДО-7",
                                     "contract_date": "2026-02-01", "valid_until": "2026-12-31",
                                     "quota_money": "500000", "quota_seats": "10",
                                     "programs": [programs[0].pk]})
    contract = TrainingContract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url()
    assert list(contract.programs.all()) == [programs[0]]
    assert contract.document.status == GeneratedDocument.Status.READY
    assert contract.contract_date == dt.date(2026, 2, 1)


def test_the_form_shows_a_missing_signatory_as_an_error(client, operator_reviewer, partner_a, campaign):
    program = awaiting_program(partner_a, campaign)
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:contract_create"), {
        "partner": partner_a.pk, "campaign": campaign.pk, "number": "ДО-7", "contract_date": "2026-02-01",
        "valid_until": "2026-12-31", "quota_money": "500000", "quota_seats": "10", "programs": [program.pk]})
    assert response.status_code == 200
    assert "нет подписанта" in response.content.decode()
    assert not TrainingContract.objects.exists()


def test_the_operator_opens_an_addon_from_the_contract_page(client, operator_reviewer, operator_org, partner_a,
                                                            campaign):
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    late = awaiting_program(partner_a, campaign, title="Поздняя программа")
    client.force_login(operator_reviewer)
    html = client.get(reverse("programs:contract_detail", args=[contract.pk])).content.decode()
    assert "Поздняя программа" in html
    response = client.post(reverse("programs:addon_create", args=[contract.pk]), {"programs": [late.pk]})
    addon = contract.addons.get()
    assert response["Location"] == reverse("programs:addon_detail", args=[addon.pk])
    assert client.get(response["Location"]).status_code == 200


def test_an_exhausted_quota_is_a_message_on_the_page(client, operator_reviewer, operator_org, partner_a, campaign):
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, reserved_seats=20)
    late = awaiting_program(partner_a, campaign)
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:addon_create", args=[contract.pk]), {"programs": [late.pk]},
                           follow=True)
    assert "исчерпана" in response.content.decode()
    assert not contract.addons.exists()
