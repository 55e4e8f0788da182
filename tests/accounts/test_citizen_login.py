"""Citizens log in without a password: a personal link by e-mail, valid 24 hours, single use,
only the newest one works; the answer never tells whether an address is known."""
import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessToken
from accounts.services import access_token_issue, citizen_login_link_send
from core.models import OutgoingEmail
from tests.accounts.conftest import last_link, mailed_links

pytestmark = pytest.mark.django_db


def _request(client, email):
    return client.post(reverse("accounts:citizen_login"), {"email": email}, follow=True)


def _assert_dead_link_page(response):
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ссылка устарела или уже использована" in text
    assert f'href="{reverse("accounts:citizen_login")}"' in text
    assert "_auth_user_id" not in response.client.session


def test_the_link_logs_the_citizen_in_and_opens_the_cabinet(client, citizen):
    _request(client, "Citizen@Example.org")
    response = client.get(last_link(citizen.email))
    assert response.status_code == 302
    assert response["Location"] == reverse("cabinet:home")
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_a_token_from_access_token_issue_works_the_same(client, citizen):
    token = access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    response = client.get(reverse("accounts:citizen_login_confirm", args=[token]))
    assert response["Location"] == reverse("cabinet:home")


def test_the_link_works_once(client, citizen):
    citizen_login_link_send(email=citizen.email)
    link = last_link(citizen.email)
    client.get(link)
    client.logout()
    _assert_dead_link_page(client.get(link))


def test_only_the_newest_link_works(client, citizen):
    citizen_login_link_send(email=citizen.email)
    citizen_login_link_send(email=citizen.email)
    first, second = mailed_links(citizen.email)
    _assert_dead_link_page(client.get(first))
    assert client.get(second).status_code == 302


def test_the_link_expires_after_24_hours(client, citizen):
    token = access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    url = reverse("accounts:citizen_login_confirm", args=[token])
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, seconds=1)):
        _assert_dead_link_page(client.get(url))


def test_the_link_still_works_just_before_24_hours(client, citizen):
    token = access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23, minutes=59)):
        assert client.get(reverse("accounts:citizen_login_confirm", args=[token])).status_code == 302


def test_a_staff_members_password_link_does_not_log_in_as_a_citizen(client, staff_a):
    token = access_token_issue(user=staff_a, purpose=AccessToken.Purpose.SET_PASSWORD)
    _assert_dead_link_page(client.get(reverse("accounts:citizen_login_confirm", args=[token])))


def test_the_answer_is_the_same_for_a_known_and_an_unknown_e_mail(client, citizen, staff_a):
    pages = [_request(client, email) for email in (citizen.email, "nobody@example.org", staff_a.email)]
    chains = {tuple(page.redirect_chain) for page in pages}
    assert chains == {((reverse("accounts:citizen_login") + "?sent=1", 302),)}
    bodies = {re.sub(r'value="[^"]{20,}"', "", page.content.decode()) for page in pages}
    assert len(bodies) == 1
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [citizen.email]


def test_link_requests_are_limited_to_five_an_hour_with_a_russian_message(client, citizen):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _request(client, citizen.email)
        response = _request(client, citizen.email)
    assert "Слишком много запросов" in response.content.decode()
    assert OutgoingEmail.objects.filter(to=citizen.email).count() == 5


def test_the_limit_applies_to_unknown_addresses_too(client, db):
    for _ in range(5):
        _request(client, "nobody@example.org")
    assert "Слишком много запросов" in _request(client, "nobody@example.org").content.decode()


def test_the_request_page_is_public(client, db):
    assert client.get(reverse("accounts:citizen_login")).status_code == 200


def test_a_logged_in_citizen_goes_straight_to_the_cabinet(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("accounts:citizen_login"))["Location"] == reverse("cabinet:home")
