"""Closed registration: the operator invites staff (page, manage.py, admin action); the person
gets a 72-hour set-password link by e-mail; nobody else may invite."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import services
from accounts.models import AccessToken, Membership, User, UserEvent
from core.models import OutgoingEmail
from tests.accounts.conftest import last_link
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NEW = {"email": "Novikova@Example.org", "last_name": "Новикова", "first_name": "Анна", "patronymic": "Сергеевна"}


def _invite(actor, organization, role=Membership.Role.PARTNER_STAFF, **extra):
    return services.staff_invite(actor=actor, organization=organization, role=role, **{**NEW, **extra})


def test_it_creates_the_user_without_a_password_and_the_membership(operator_reviewer, partner_a):
    membership = _invite(operator_reviewer, partner_a)
    user = membership.user
    assert user.email == "novikova@example.org"
    assert (user.last_name, user.first_name, user.patronymic) == ("Новикова", "Анна", "Сергеевна")
    assert not user.has_usable_password()
    assert not user.is_citizen
    assert membership.organization == partner_a
    assert membership.role == Membership.Role.PARTNER_STAFF


def test_it_mails_an_absolute_set_password_link_built_from_site_url(operator_reviewer, partner_a, settings):
    settings.SITE_URL = "https://flow.example.org"
    _invite(operator_reviewer, partner_a)
    email = OutgoingEmail.objects.get(to="novikova@example.org")
    assert "https://flow.example.org/accounts/password/set/" in email.body_text
    token = AccessToken.objects.get(user__email="novikova@example.org")
    assert token.purpose == AccessToken.Purpose.SET_PASSWORD
    assert (token.expires_at - token.created_at).total_seconds() == 72 * 3600


def test_the_mailed_link_opens_the_set_password_form(client, operator_reviewer, partner_a):
    _invite(operator_reviewer, partner_a)
    response = client.get(last_link("novikova@example.org"))
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()


def test_it_records_who_invited_whom(operator_reviewer, partner_a):
    membership = _invite(operator_reviewer, partner_a)
    event = UserEvent.objects.get(subject=membership.user)
    assert (event.actor, event.transition) == (operator_reviewer, "invite")
    assert "Партнёр А" in event.comment


def test_inviting_again_reuses_the_user_and_only_the_newest_link_works(client, operator_reviewer, partner_a):
    first = _invite(operator_reviewer, partner_a)
    first_link = last_link("novikova@example.org")
    second = _invite(operator_reviewer, partner_a)
    assert first.pk == second.pk
    assert User.objects.filter(email__iexact=NEW["email"]).count() == 1
    assert "Ссылка устарела" in client.get(first_link).content.decode()
    assert client.get(last_link("novikova@example.org")).status_code == 200


def test_it_invites_to_employment_services_and_the_operator_with_their_roles(
        operator_reviewer, employment_org, operator_org):
    assert _invite(operator_reviewer, employment_org, Membership.Role.EMPLOYMENT_REVIEWER).pk
    assert _invite(operator_reviewer, operator_org, Membership.Role.OPERATOR_REVIEWER, email="fo2@example.org").pk


def test_the_role_must_match_the_kind_of_organisation(operator_reviewer, partner_a):
    with pytest.raises(ValidationError, match="не подходит"):
        _invite(operator_reviewer, partner_a, Membership.Role.OPERATOR_REVIEWER)
    assert not User.objects.filter(email__iexact=NEW["email"]).exists()


def test_a_citizens_email_cannot_become_staff(operator_reviewer, partner_a, citizen):
    with pytest.raises(ValidationError, match="слушател"):
        _invite(operator_reviewer, partner_a, email=citizen.email)


def test_an_existing_staff_member_is_told_without_a_password_link(operator_reviewer, partner_b, staff_a):
    _invite(operator_reviewer, partner_b, email=staff_a.email)
    assert staff_a.memberships.filter(organization=partner_b).exists()
    assert not AccessToken.objects.filter(user=staff_a).exists()
    assert "Партнёр Б" in OutgoingEmail.objects.get(to=staff_a.email).subject


@pytest.mark.parametrize("persona", ["staff_a", "employment_reviewer", "citizen"])
def test_only_operator_reviewers_may_invite(personas, partner_a, persona):
    with pytest.raises(PermissionDenied):
        _invite(personas[persona], partner_a)


# The cabinet page ---------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 403), ("staff_a", 403), ("employment_reviewer", 403), ("operator_reviewer", 200)])
def test_the_invite_page_is_for_operators_only(client, personas, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("accounts:staff_invite")).status_code == status


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("accounts:staff_invite"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_operator_invites_through_the_page(client, operator_reviewer, partner_a):
    client.force_login(operator_reviewer)
    response = client.post(reverse("accounts:staff_invite"), {
        **NEW, "organization": partner_a.pk, "role": Membership.Role.PARTNER_STAFF})
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="novikova@example.org", organization=partner_a).exists()
    assert OutgoingEmail.objects.filter(to="novikova@example.org").exists()


def test_the_page_explains_a_role_that_does_not_fit(client, operator_reviewer, partner_a):
    client.force_login(operator_reviewer)
    response = client.post(reverse("accounts:staff_invite"), {
        **NEW, "organization": partner_a.pk, "role": Membership.Role.EMPLOYMENT_REVIEWER})
    assert response.status_code == 200
    assert "не подходит организации" in response.content.decode()
    assert not User.objects.filter(email__iexact=NEW["email"]).exists()


def test_a_partner_cannot_invite_through_the_page(client, staff_a, partner_a):
    client.force_login(staff_a)
    response = client.post(reverse("accounts:staff_invite"), {
        **NEW, "organization": partner_a.pk, "role": Membership.Role.PARTNER_STAFF})
    assert response.status_code == 403
    assert not User.objects.filter(email__iexact=NEW["email"]).exists()


# manage.py invite_staff ---------------------------------------------------------------------

def test_the_command_invites_by_inn(partner_a):
    call_command("invite_staff", "--organization-inn", partner_a.inn, "--email", NEW["email"],
                 "--last-name", "Новикова", "--first-name", "Анна")
    membership = Membership.objects.get(user__email="novikova@example.org")
    assert membership.organization == partner_a
    assert OutgoingEmail.objects.filter(to="novikova@example.org").exists()
    assert UserEvent.objects.get(subject=membership.user).actor is None


def test_the_command_explains_an_unknown_inn_in_russian(db):
    with pytest.raises(CommandError, match="ИНН 7000000000 не найдена"):
        call_command("invite_staff", "--organization-inn", "7000000000", "--email", "a@example.org",
                     "--last-name", "А", "--first-name", "Б")


def test_the_command_explains_a_role_that_does_not_fit(partner_a):
    with pytest.raises(CommandError, match="не подходит"):
        call_command("invite_staff", "--organization-inn", partner_a.inn, "--email", "a@example.org",
                     "--last-name", "А", "--first-name", "Б", "--role", "operator_reviewer")


def test_the_command_exits_non_zero_on_error(db):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "invite_staff", "--organization-inn", "7000000000", "--email",
                           "a@example.org", "--last-name", "А", "--first-name", "Б"]).execute()
    assert exit_info.value.code != 0


# Admin action -------------------------------------------------------------------------------

@pytest.fixture
def admin_operator(operator_reviewer):
    from accounts.groups import operator_group

    operator_reviewer.groups.add(operator_group())
    return User.objects.get(pk=operator_reviewer.pk)


def _pending_staff(partner):
    membership = MembershipFactory(organization=partner, user__email="pending@example.org")
    membership.user.set_unusable_password()
    membership.user.save()
    return membership


@pytest.mark.parametrize("model", ["user", "membership"])
def test_the_admin_action_resends_the_invitation(client, admin_operator, partner_a, model):
    membership = _pending_staff(partner_a)
    client.force_login(admin_operator)
    pk = membership.user.pk if model == "user" else membership.pk
    response = client.post(reverse(f"admin:accounts_{model}_changelist"),
                           {"action": "resend_invitation", "_selected_action": [pk]})
    assert response.status_code == 302
    assert AccessToken.objects.get(user=membership.user).purpose == AccessToken.Purpose.SET_PASSWORD
    assert OutgoingEmail.objects.filter(to="pending@example.org").exists()
    assert UserEvent.objects.get(subject=membership.user, transition="invite_resend").actor == admin_operator


def test_the_admin_action_skips_who_already_has_a_password(client, admin_operator, staff_a):
    client.force_login(admin_operator)
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "resend_invitation", "_selected_action": [staff_a.pk]}, follow=True)
    assert "уже установил пароль" in response.content.decode()
    assert not AccessToken.objects.filter(user=staff_a).exists()


def test_an_invited_operator_reviewer_gets_the_admin_and_the_operator_group(operator_reviewer, operator_org):
    from accounts.groups import OPERATOR_GROUP

    user = _invite(operator_reviewer, operator_org, Membership.Role.OPERATOR_REVIEWER).user
    assert user.is_staff
    assert user.groups.filter(name=OPERATOR_GROUP).exists()


def test_a_disabled_account_is_not_invited_silently(operator_reviewer, partner_b, staff_a):
    User.objects.filter(pk=staff_a.pk).update(is_active=False)
    with pytest.raises(ValidationError, match="отключена"):
        _invite(operator_reviewer, partner_b, email=staff_a.email)
