"""Sessions (checklist SESS-01…SESS-05)."""
import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SEEN_RESOLUTION_SECONDS
from accounts.services import access_token_issue
from flow.settings import base as base_settings
from tests.accounts.conftest import login_post
from tests.conftest import PASSWORD
from tests.enrollment.factories import CitizenFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Novyy!Parol9"
LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


# SESS-01 a new key at login and at the second factor -------------------------------------------

def test_the_session_key_changes_at_login(client, staff_a):
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1  # an anonymous session an attacker could have planted
    session.save()
    before = session.session_key
    assert login_post(client, staff_a.email).status_code == 302
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_the_session_key_changes_at_the_second_factor(client, staff_a):
    device = TOTPDevice.objects.create(user=staff_a, name="телефон", confirmed=True)
    login_post(client, staff_a.email)
    before = client.session.session_key
    response = client.post(reverse("accounts:two_factor_verify"), {"code": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get(reverse("accounts:staff_home")).status_code == 200


def test_the_session_key_changes_when_the_app_is_bound(client, staff_a):
    client.force_login(staff_a)
    client.get(reverse("accounts:two_factor"))
    before = client.session.session_key
    key = client.session["accounts:totp_key"]
    assert client.post(reverse("accounts:two_factor"), {"code": f"{totp(bytes.fromhex(key)):06d}"}).status_code == 302
    assert client.session.session_key != before


# SESS-02 logout ends the server-side session ----------------------------------------------------

def test_a_replayed_cookie_after_logout_is_sent_to_log_in(client, staff_a):
    login_post(client, staff_a.email)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(session_key=stolen).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert _sent_to_login(replay.get(reverse("accounts:staff_home")))


# SESS-03 idle and absolute lifetimes ----------------------------------------------------------

def test_staff_lifetimes_are_within_the_limits_and_citizens_are_documented():
    assert base_settings.STAFF_SESSION_IDLE_SECONDS <= 30 * 60
    assert base_settings.STAFF_SESSION_ABSOLUTE_SECONDS <= 12 * 60 * 60
    assert base_settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    # Citizens: documented in flow/settings/base.py — 60 minutes idle, 12 hours at most.
    assert base_settings.CITIZEN_SESSION_IDLE_SECONDS == 60 * 60
    assert base_settings.CITIZEN_SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60


def test_staff_are_logged_out_after_31_idle_minutes(client, staff_a):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_post(client, staff_a.email)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("accounts:staff_home")).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("accounts:staff_home"))
    assert _sent_to_login(response)
    assert not _logged_in(client)
    follow = client.get(response["Location"])
    assert "Сеанс завершён" in follow.content.decode()


def test_activity_keeps_a_staff_session_alive_until_the_absolute_limit(client, staff_a):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_post(client, staff_a.email)
        for _ in range(12 * 60 // 20):  # a request every 20 minutes for 12 hours
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("accounts:staff_home")).status_code == 200
        clock.shift(dt.timedelta(minutes=1))
        response = client.get(reverse("accounts:staff_home"))
    assert _sent_to_login(response)


def test_citizens_have_an_hour_of_idle_time(client, db):
    citizen = CitizenFactory().user
    raw = access_token_issue(user=citizen, purpose="citizen_login")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(reverse("accounts:citizen_login_confirm", args=[raw]))
        clock.shift(dt.timedelta(minutes=45))
        assert client.get(reverse("cabinet:home")).status_code == 200
        clock.shift(dt.timedelta(minutes=61))
        assert _sent_to_login(client.get(reverse("cabinet:home")))


def test_the_last_seen_mark_is_not_rewritten_on_every_request(client, staff_a):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_post(client, staff_a.email)
        seen = client.session["flow:seen_at"]
        client.get(reverse("accounts:staff_home"))
        assert client.session["flow:seen_at"] == seen
        clock.shift(dt.timedelta(seconds=SEEN_RESOLUTION_SECONDS))
        client.get(reverse("accounts:staff_home"))
        assert client.session["flow:seen_at"] == seen + SEEN_RESOLUTION_SECONDS


# SESS-04 ending sessions ------------------------------------------------------------------------

def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(staff_a):
    laptop, phone = Client(), Client()
    login_post(laptop, staff_a.email)
    login_post(phone, staff_a.email)
    phone_key = phone.session.session_key
    response = laptop.post(reverse("accounts:password_change"),
                           {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert laptop.get(reverse("accounts:staff_home")).status_code == 200
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert _sent_to_login(phone.get(reverse("accounts:staff_home")))


def test_deactivating_a_user_ends_all_his_sessions(staff_a):
    laptop, phone = Client(), Client()
    login_post(laptop, staff_a.email)
    login_post(phone, staff_a.email)
    keys = [laptop.session.session_key, phone.session.session_key]
    staff_a.is_active = False
    staff_a.save()
    assert not Session.objects.filter(session_key__in=keys).exists()
    for client in (laptop, phone):
        assert _sent_to_login(client.get(reverse("accounts:staff_home")))


def test_ops_end_a_users_sessions_with_a_command(staff_a, staff_b, capsys):
    laptop, phone, colleague = Client(), Client(), Client()
    login_post(laptop, staff_a.email)
    login_post(phone, staff_a.email)
    login_post(colleague, staff_b.email)
    call_command("end_sessions", "--email", staff_a.email.upper())
    assert "Завершено сеансов: 2" in capsys.readouterr().out
    for client in (laptop, phone):
        assert _sent_to_login(client.get(reverse("accounts:staff_home")))
    assert colleague.get(reverse("accounts:staff_home")).status_code == 200


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="не найден"):
        call_command("end_sessions", "--email", "nobody@example.org")


# SESS-05 server-side sessions without personal data --------------------------------------------

def test_sessions_are_kept_in_the_database_behind_the_cache():
    assert base_settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.SESSION_ENGINE == base_settings.SESSION_ENGINE


def test_a_session_survives_losing_the_cache(client, staff_a):
    login_post(client, staff_a.email)
    cache.clear()  # Redis restarted: the cached copies are gone
    assert client.get(reverse("accounts:staff_home")).status_code == 200


ALLOWED_SESSION_KEYS = {"_auth_user_id", "_auth_user_backend", "_auth_user_hash", "flow:auth_at", "flow:seen_at",
                        "otp_device_id", "accounts:totp_key", "_language", "_messages"}


def test_a_citizens_session_holds_ids_and_timestamps_only(client):
    citizen = CitizenFactory(last_name="Семёнова", first_name="Ирина")
    raw = access_token_issue(user=citizen.user, purpose="citizen_login")
    client.get(reverse("accounts:citizen_login_confirm", args=[raw]))
    client.get(reverse("cabinet:home"))
    data = Session.objects.get(session_key=client.session.session_key).get_decoded()
    assert set(data) <= ALLOWED_SESSION_KEYS, set(data) - ALLOWED_SESSION_KEYS
    text = repr(data)
    for personal in (citizen.email, citizen.snils, citizen.last_name, citizen.first_name):
        assert personal not in text
