"""The password rule (10+ characters, a capital letter, a digit, a special character), applied
through the set-password page, with Russian messages."""
import pytest
from django.urls import reverse

from accounts.models import AccessToken
from accounts.services import access_token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited():
    user = UserFactory(email="new.staff@example.org", password=None)
    user.set_unusable_password()
    user.save()
    return user


def _set(client, user, password):
    token = access_token_issue(user=user, purpose=AccessToken.Purpose.SET_PASSWORD)
    return client.post(reverse("accounts:password_set", args=[token]),
                       {"new_password1": password, "new_password2": password})


def test_it_refuses_a_password_without_a_special_character_in_russian(client, invited):
    response = _set(client, invited, "Qwerty1234")
    assert response.status_code == 200
    text = response.content.decode()
    assert "специальный символ" in text
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_it_accepts_a_password_with_capital_digit_and_special_character(client, invited):
    response = _set(client, invited, "Qwerty!234x")
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password("Qwerty!234x")


@pytest.mark.parametrize(("password", "fragment"), [
    ("Qw!1", "слишком короткий"),
    ("qwerty!234x", "заглавную букву"),
    ("Qwerty!abcd", "цифру"),
    ("New.Staff@example1", "похож на e-mail"),
])
def test_it_explains_each_broken_rule_in_russian(client, invited, password, fragment):
    response = _set(client, invited, password)
    assert response.status_code == 200
    assert fragment in response.content.decode()


def test_it_refuses_two_different_passwords(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    response = client.post(reverse("accounts:password_set", args=[token]),
                           {"new_password1": "Qwerty!234x", "new_password2": "Qwerty!234y"})
    assert "Пароли не совпадают" in response.content.decode()
