"""Staff log in by e-mail and password; citizens cannot; logout is a POST; «forgot password»
never tells whether an address is known; a logged-in staff member changes his password."""
import re

import pytest
from django.urls import reverse

from accounts.models import AccessToken, UserEvent
from core.models import OutgoingEmail
from tests.accounts.conftest import last_link, login_post
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_form_asks_for_an_e_mail_in_a_field_named_username(client, db):
    text = client.get(reverse("accounts:login")).content.decode()
    assert 'name="username"' in text
    assert "E-mail" in text


def test_staff_log_in_by_e_mail_and_password(client, staff_a):
    response = login_post(client, "STAFF.A@example.org")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_a.pk)
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == reverse("accounts:staff_home")


def test_a_wrong_password_is_refused_in_russian(client, staff_a):
    response = login_post(client, staff_a.email, "Wrong!Pass1")
    assert response.status_code == 200
    assert "Неверный e-mail или пароль" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_citizen_cannot_log_in_by_password(client, citizen):
    citizen.set_password(PASSWORD)  # even if a password somehow got there
    citizen.save()
    response = login_post(client, citizen.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, staff_a):
    client.force_login(staff_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


# Forgot password ------------------------------------------------------------------------------

def _reset(client, email):
    return client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)


def test_reset_mails_a_link_to_the_set_password_page(client, staff_a):
    _reset(client, staff_a.email)
    token = AccessToken.objects.get(user=staff_a)
    assert token.purpose == AccessToken.Purpose.RESET_PASSWORD
    response = client.post(last_link(staff_a.email), {"new_password1": "Novyy!Parol9", "new_password2": "Novyy!Parol9"})
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.check_password("Novyy!Parol9")


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_reset_answers_the_same_for_a_known_and_an_unknown_e_mail(client, staff_a):
    known = _reset(client, staff_a.email)
    unknown = _reset(client, "nobody@example.org")
    assert known.redirect_chain == [(reverse("accounts:password_reset") + "?sent=1", 302)]
    assert unknown.redirect_chain == known.redirect_chain
    assert _without_csrf(known) == _without_csrf(unknown)
    assert not OutgoingEmail.objects.filter(to="nobody@example.org").exists()


def test_reset_sends_nothing_to_a_citizen(client, citizen):
    _reset(client, citizen.email)
    assert not AccessToken.objects.filter(user=citizen).exists()


def test_reset_requests_are_rate_limited_per_address(client, staff_a):
    for _ in range(5):
        _reset(client, staff_a.email)
    response = _reset(client, staff_a.email)
    assert "Слишком много запросов" in response.content.decode()
    assert AccessToken.objects.filter(user=staff_a).count() == 5


# Change password ------------------------------------------------------------------------------

def test_staff_change_their_password_and_stay_logged_in(client, staff_a):
    client.force_login(staff_a)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Novyy!Parol9", "new_password2": "Novyy!Parol9"})
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.check_password("Novyy!Parol9")
    assert client.get(reverse("accounts:staff_home")).status_code == 200
    assert UserEvent.objects.filter(subject=staff_a, transition="password_change").exists()


def test_changing_needs_the_current_password(client, staff_a):
    client.force_login(staff_a)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "Wrong!Pass1", "new_password1": "Novyy!Parol9", "new_password2": "Novyy!Parol9"})
    assert "Текущий пароль введён неверно" in response.content.decode()


def test_citizens_have_no_password_to_change(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("accounts:password_change")).status_code == 403
