import pytest

pytestmark = pytest.mark.django_db


def test_the_root_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_personas_have_the_roles_their_names_say(personas, partner_a):
    assert personas["staff_a"].access.partner_ids == {partner_a.pk}
    assert personas["operator_reviewer"].access.is_operator
    assert personas["employment_reviewer"].access.region_codes == {"70"}
    assert personas["citizen"].access.is_citizen
