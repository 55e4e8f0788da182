"""The staff list: the operator sees everyone, partner staff their own organisation only,
employment reviewers and citizens are refused; search, filters, sorting, pagination."""
import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _emails(response):
    return [row["membership"].user.email for row in response.context["rows"]]


@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 403), ("employment_reviewer", 403), ("staff_a", 200), ("operator_reviewer", 200)])
def test_who_may_open_the_staff_list(client, personas, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("accounts:staff_list")).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(reverse("accounts:staff_list"))["Location"].startswith(reverse("accounts:login"))


def test_partner_staff_see_only_their_organisation(client, personas):
    client.force_login(personas["staff_a"])
    assert _emails(client.get(reverse("accounts:staff_list"))) == ["staff.a@example.org"]


def test_a_partner_cannot_widen_the_scope_by_filter(client, personas, partner_b):
    client.force_login(personas["staff_a"])
    response = client.get(reverse("accounts:staff_list"), {"organization": partner_b.pk})
    assert "staff.b@example.org" not in _emails(response)


def test_the_operator_sees_everyone(client, personas):
    client.force_login(personas["operator_reviewer"])
    emails = _emails(client.get(reverse("accounts:staff_list")))
    assert {"staff.a@example.org", "staff.b@example.org", "szn@example.org", "fo@example.org"} <= set(emails)
    assert "citizen@example.org" not in emails


def test_search_by_name_or_e_mail(client, personas, partner_a):
    MembershipFactory(organization=partner_a, user=UserFactory(email="orlova@example.org", last_name="Орлова"))
    client.force_login(personas["operator_reviewer"])
    assert _emails(client.get(reverse("accounts:staff_list"), {"q": "Орлов"})) == ["orlova@example.org"]
    assert _emails(client.get(reverse("accounts:staff_list"), {"q": "staff.b@"})) == ["staff.b@example.org"]


def test_filter_by_organisation_and_role(client, personas, partner_b, employment_org):
    client.force_login(personas["operator_reviewer"])
    assert _emails(client.get(reverse("accounts:staff_list"), {"organization": partner_b.pk})) == [
        "staff.b@example.org"]
    assert _emails(client.get(reverse("accounts:staff_list"),
                              {"role": Membership.Role.EMPLOYMENT_REVIEWER})) == ["szn@example.org"]


def test_sorting_by_e_mail_both_ways(client, personas):
    client.force_login(personas["operator_reviewer"])
    ascending = _emails(client.get(reverse("accounts:staff_list"), {"sort": "email"}))
    descending = _emails(client.get(reverse("accounts:staff_list"), {"sort": "-email"}))
    assert ascending == sorted(ascending)
    assert descending == ascending[::-1]


def test_only_the_operator_gets_the_toggle(client, personas):
    client.force_login(personas["staff_a"])
    assert not any(row["can_toggle"] for row in client.get(reverse("accounts:staff_list")).context["rows"])
    client.force_login(personas["operator_reviewer"])
    rows = client.get(reverse("accounts:staff_list")).context["rows"]
    assert {row["membership"].user.email for row in rows if row["can_toggle"]} == {
        "staff.a@example.org", "staff.b@example.org"}


def test_the_list_pages_in_a_constant_number_of_queries(client, personas, partner_a,
                                                        django_assert_max_num_queries):
    for n in range(60):
        MembershipFactory(organization=partner_a, user=UserFactory(email=f"m{n:02d}@example.org"))
    client.force_login(personas["operator_reviewer"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:staff_list"))
    assert len(response.context["rows"]) == 50
    assert client.get(reverse("accounts:staff_list"), {"page": 2}).context["page"].number == 2
