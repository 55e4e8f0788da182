"""The development mail viewer: staff only, clickable links, HTML in a sandboxed frame.
flow.urls mounts /dev/ only when DEBUG is on at import, so this module is its own URLconf."""
import pytest
from django.urls import include, path, reverse

from accounts.models import User
from core.mail import send_templated_mail
from flow.urls import urlpatterns as site_urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.test_dev_mail")]

urlpatterns = [path("dev/", include("core.dev_urls")), *site_urlpatterns]


@pytest.fixture
def email(db):
    return send_templated_mail(to="ivanov@example.org", template="emails/core/notice", context={
        "subject": "Приглашение в Flow", "text": "Вас пригласили в Flow.",
        "action_url": "https://flow.example.org/accounts/invite/abc/", "action_label": "Принять",
    })


@pytest.mark.parametrize("name", ["dev:mail_list", "dev:mail_detail", "dev:mail_html"])
@pytest.mark.parametrize(("persona", "status"), [("staff_a", 403), ("citizen", 403), ("operator_reviewer", 200)])
def test_only_staff_may_read_the_outbox(client, personas, email, name, persona, status):
    # Reloaded: CitizenUserFactory's instance holds another unusable-password hash than its row.
    client.force_login(User.objects.get(pk=personas[persona].pk))
    url = reverse(name) if name == "dev:mail_list" else reverse(name, args=[email.pk])
    assert client.get(url).status_code == status


def test_anonymous_visitors_are_sent_to_the_login_page(client, email):
    response = client.get(reverse("dev:mail_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_list_shows_subject_recipient_and_status(client, operator_reviewer, email):
    client.force_login(operator_reviewer)
    body = client.get(reverse("dev:mail_list")).content.decode()
    assert "Приглашение в Flow" in body
    assert "ivanov@example.org" in body
    assert "ожидает отправки" in body
    assert reverse("dev:mail_detail", args=[email.pk]) in body


def test_the_detail_makes_links_clickable_and_frames_the_html(client, operator_reviewer, email):
    client.force_login(operator_reviewer)
    body = client.get(reverse("dev:mail_detail", args=[email.pk])).content.decode()
    assert '<a href="https://flow.example.org/accounts/invite/abc/"' in body
    assert f'sandbox src="{reverse("dev:mail_html", args=[email.pk])}"' in body


def test_the_html_body_is_served_sandboxed(client, operator_reviewer, email):
    client.force_login(operator_reviewer)
    response = client.get(reverse("dev:mail_html", args=[email.pk]))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Вас пригласили в Flow." in response.content.decode()
