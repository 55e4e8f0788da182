"""The processing policy is public and linked on every page that collects personal data (PDN-09)."""
import pytest
from django.test import Client
from django.urls import reverse

from privacy.retention import categories

pytestmark = pytest.mark.django_db


def test_the_policy_is_public_and_shows_the_live_retention_schedule():
    response = Client().get(reverse("privacy:policy"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Политика обработки персональных данных" in body
    for category in categories().values():
        assert category.title in body


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "staff"])
def test_every_page_that_collects_personal_data_links_the_policy(persona, citizen, partner_a, staff_a):
    from tests.enrollment.test_cabinet_support import citizen_application

    application = citizen_application(citizen, program__partner=partner_a)
    client = Client()
    pages = {
        "anonymous": [reverse("accounts:login"), reverse("accounts:citizen_login"), reverse("accounts:password_reset")],
        "citizen": [reverse("cabinet:home")],
        "staff": [reverse("enrollment:application_list")],
    }[persona]
    if persona == "citizen":
        client.force_login(citizen)
    elif persona == "staff":
        client.force_login(staff_a)
        application_page = reverse("enrollment:application_edit", args=[application.pk])
        pages.append(application_page)
    link = f'href="{reverse("privacy:policy")}"'
    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert link in response.content.decode(), url
