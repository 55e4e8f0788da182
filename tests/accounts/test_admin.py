"""The accounts admin renders for ops and operators, hides token hashes, freezes a fixed order
mode, and never lets a non-superuser hand out superuser rights or set someone's password."""
import pytest
from django.urls import reverse

from accounts.groups import operator_group
from accounts.models import AccessToken, CampaignParticipation, User
from accounts.services import access_token_issue, staff_invite
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MODELS = ["user", "organization", "membership", "campaign", "campaignparticipation", "region",
          "accesstoken", "userevent"]


@pytest.fixture
def superuser(db):
    return UserFactory(email="ops@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_operator(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return User.objects.get(pk=operator_reviewer.pk)


@pytest.fixture
def populated(operator_reviewer, partner_a, staff_a, campaign):
    staff_invite(actor=operator_reviewer, organization=partner_a, email="new@example.org",
                 last_name="Новикова", first_name="Анна")


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_renders(client, superuser, populated, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["user", "organization", "membership", "campaign", "campaignparticipation"])
def test_the_add_forms_render(client, superuser, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:accounts_{model}_add")).status_code == 200


def test_the_user_page_shows_memberships_and_history(client, superuser, populated):
    user = User.objects.get(email="new@example.org")
    client.force_login(superuser)
    text = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "Партнёр А" in text
    assert "Приглашён" in text


def test_ops_add_a_user_by_e_mail(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_add"), {
        "email": "added@example.org", "last_name": "Добавлен", "first_name": "Сотрудник", "patronymic": "",
        "usable_password": "false"})
    assert response.status_code == 302
    assert not User.objects.get(email="added@example.org").has_usable_password()


def test_access_tokens_never_show_the_hash(client, superuser, staff_a):
    access_token_issue(user=staff_a, purpose=AccessToken.Purpose.RESET_PASSWORD)
    token = AccessToken.objects.get()
    client.force_login(superuser)
    for url in (reverse("admin:accounts_accesstoken_changelist"),
                reverse("admin:accounts_accesstoken_change", args=[token.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert token.token_hash not in response.content.decode()


def test_the_order_mode_is_never_typed_into_the_admin_form(client, superuser, partner_a):
    participation = CampaignParticipation.objects.get(partner=partner_a)
    client.force_login(superuser)
    url = reverse("admin:accounts_campaignparticipation_change", args=[participation.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="order_mode"' not in response.content.decode()


def test_an_operator_cannot_grant_superuser_rights(client, admin_operator, staff_a):
    client.force_login(admin_operator)
    text = client.get(reverse("admin:accounts_user_change", args=[staff_a.pk])).content.decode()
    assert 'name="is_superuser"' not in text
    assert 'name="groups"' not in text


def test_an_operator_cannot_set_someones_password(client, admin_operator, staff_a):
    client.force_login(admin_operator)
    assert client.get(reverse("admin:auth_user_password_change", args=[staff_a.pk])).status_code == 403


def test_an_operator_cannot_edit_a_superuser(client, admin_operator, superuser):
    client.force_login(admin_operator)
    response = client.post(reverse("admin:accounts_user_change", args=[superuser.pk]),
                           {"email": "ops@example.org", "is_active": ""})
    assert response.status_code in (302, 403)
    superuser.refresh_from_db()
    assert superuser.is_active


def test_the_admin_uses_the_site_login_page(client, db):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login") + "?next=/admin/"


def test_a_logged_in_non_staff_user_is_refused_by_the_admin_without_a_loop(client, staff_a):
    client.force_login(staff_a)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
