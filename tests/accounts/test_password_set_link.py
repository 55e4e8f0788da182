"""The set-password link: works once, for 72 hours, only the newest; a dead link explains itself."""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessToken, UserEvent
from accounts.services import access_token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Nov!yParol2026"


@pytest.fixture
def invited():
    user = UserFactory(email="new.staff@example.org")
    user.set_unusable_password()
    user.save()
    return user


def _post(client, token, password=NEW_PASSWORD):
    return client.post(reverse("accounts:password_set", args=[token]),
                       {"new_password1": password, "new_password2": password})


def _assert_dead_link_page(response):
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ссылка устарела или уже использована" in text
    assert reverse("accounts:password_reset") in text
    assert "Traceback" not in text


def test_it_shows_the_form_for_a_fresh_link(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    response = client.get(reverse("accounts:password_set", args=[token]))
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()


def test_it_sets_the_password_logs_in_and_records_it(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    response = _post(client, token)
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(invited.pk)
    event = UserEvent.objects.get(subject=invited, transition="password_set")
    assert event.actor == invited
    assert AccessToken.objects.get(user=invited).used_at is not None


def test_it_works_only_once(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    _post(client, token)
    client.logout()
    _assert_dead_link_page(client.get(reverse("accounts:password_set", args=[token])))
    _assert_dead_link_page(_post(client, token, "Drugoy!Parol1"))
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)


def test_it_still_works_just_before_72_hours(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=71, minutes=59)):
        assert _post(client, token).status_code == 302


def test_it_no_longer_works_after_72_hours(client, invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=72, seconds=1)):
        _assert_dead_link_page(client.get(reverse("accounts:password_set", args=[token])))
        _assert_dead_link_page(_post(client, token))
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_only_the_newest_link_works(client, invited):
    old = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    new = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    _assert_dead_link_page(client.get(reverse("accounts:password_set", args=[old])))
    assert _post(client, new).status_code == 302


def test_setting_the_password_voids_the_other_password_links(client, invited):
    invitation = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    reset = access_token_issue(user=invited, purpose=AccessToken.Purpose.RESET_PASSWORD)
    assert _post(client, reset).status_code == 302
    client.logout()
    _assert_dead_link_page(client.get(reverse("accounts:password_set", args=[invitation])))


def test_an_unknown_link_shows_the_same_clear_page(client, db):
    _assert_dead_link_page(client.get(reverse("accounts:password_set", args=["nonsense"])))


def test_a_citizen_login_link_cannot_set_a_password(client, citizen):
    token = access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    _assert_dead_link_page(_post(client, token))
    citizen.refresh_from_db()
    assert not citizen.check_password(NEW_PASSWORD)


def test_only_the_hash_of_the_token_is_stored(invited):
    token = access_token_issue(user=invited, purpose=AccessToken.Purpose.SET_PASSWORD)
    stored = AccessToken.objects.get(user=invited)
    assert stored.token_hash == AccessToken.hash(token)
    assert token not in stored.token_hash
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=72)
