"""Organisation list and card: each person sees the organisations of their roles (partner A's
staff cannot open partner B's card: 404); the operator sees all; constant query counts."""
import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Organization, Region, Signatory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _names(response):
    return [str(org) for org in response.context["page"].object_list]


@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 404), ("staff_b", 404), ("employment_reviewer", 404), ("staff_a", 200),
    ("operator_reviewer", 200)])
def test_who_may_open_partner_as_card(client, personas, partner_a, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("accounts:organization_detail", args=[partner_a.pk])).status_code == status


def test_the_card_shows_requisites_licence_bank_signatories_and_contacts(client, operator_reviewer, partner_a):
    partner_a.licence_number = "Л035-01234-70/00123456"
    partner_a.bank_name = "ПАО Сбербанк"
    partner_a.contact_email = "priem@partner-a.example.org"
    partner_a.save()
    Signatory.objects.create(organization=partner_a, full_name="Сидоров Иван Петрович", position="Ректор",
                             valid_from=dt.date(2026, 1, 1), is_main=True)
    client.force_login(operator_reviewer)
    text = client.get(reverse("accounts:organization_detail", args=[partner_a.pk])).content.decode()
    for fragment in (partner_a.inn, "Л035-01234-70/00123456", "ПАО Сбербанк", "Сидоров Иван Петрович",
                     "priem@partner-a.example.org"):
        assert fragment in text


@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 403), ("staff_a", 200), ("employment_reviewer", 200), ("operator_reviewer", 200)])
def test_who_may_open_the_list(client, personas, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("accounts:organization_list")).status_code == status


def test_partner_staff_see_only_their_organisation(client, personas, partner_a):
    client.force_login(personas["staff_a"])
    assert _names(client.get(reverse("accounts:organization_list"))) == ["Партнёр А"]


def test_the_operator_sees_every_organisation(client, personas):
    client.force_login(personas["operator_reviewer"])
    assert {"Партнёр А", "Партнёр Б", "ТГУ (ФО)", "СЗН Томской области"} <= set(
        _names(client.get(reverse("accounts:organization_list"))))


def test_search_by_name_and_inn(client, operator_reviewer, partner_a, partner_b):
    client.force_login(operator_reviewer)
    assert _names(client.get(reverse("accounts:organization_list"), {"q": "Партнёр Б"})) == ["Партнёр Б"]
    assert _names(client.get(reverse("accounts:organization_list"), {"q": partner_a.inn})) == ["Партнёр А"]


def test_filter_by_kind_and_region(client, operator_reviewer, partner_a, employment_org):
    OrganizationFactory(short_name="Новосибирский партнёр", region=Region.objects.get(code="54"))
    client.force_login(operator_reviewer)
    assert _names(client.get(reverse("accounts:organization_list"),
                             {"kind": Organization.Kind.EMPLOYMENT_SERVICE})) == ["СЗН Томской области"]
    assert _names(client.get(reverse("accounts:organization_list"), {"region": "54"})) == [
        "Новосибирский партнёр"]


def test_the_list_pages_in_a_constant_number_of_queries(client, operator_reviewer,
                                                        django_assert_max_num_queries):
    for n in range(60):
        OrganizationFactory(short_name=f"ОП {n:02d}")
    client.force_login(operator_reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:organization_list"))
    assert len(response.context["page"].object_list) == 50


def test_the_card_opens_in_a_constant_number_of_queries(client, operator_reviewer, partner_a,
                                                        django_assert_max_num_queries):
    for n in range(5):
        Signatory.objects.create(organization=partner_a, full_name=f"Подписант {n}", position="Проректор",
                                 valid_from=dt.date(2026, 1, 1))
    client.force_login(operator_reviewer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:organization_detail", args=[partner_a.pk])).status_code == 200
