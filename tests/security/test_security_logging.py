"""Security logging (checklist LOG-02, LOG-05, LOG-06)."""
import datetime as dt
import logging
import sys

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security_log, services
from accounts.models import AccessToken
from accounts.security_log import SingleLineFormatter
from tests.accounts.conftest import last_link, login_post
from tests.conftest import PASSWORD
from tests.enrollment.factories import CitizenFactory
from tests.security.conftest import find_leaks

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Novyy!Parol9"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "flow.security"]


def _one(caplog, event: str) -> str:
    lines = [line for line in _events(caplog) if line.startswith(f"event={event} ")]
    assert len(lines) == 1, (event, _events(caplog))
    return lines[0]


# LOG-02 one test per authentication event -----------------------------------------------------

def test_a_successful_login_is_logged(client, staff_a, caplog):
    login_post(client, staff_a.email, ip="192.0.2.10")
    line = _one(caplog, "login.success")
    assert f"user={staff_a.pk} " in line
    assert "ip=192.0.2.10" in line
    assert "method=password" in line
    assert staff_a.email not in line


def test_a_citizens_link_login_is_logged(client, citizen, caplog):
    raw = services.access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    client.get(reverse("accounts:citizen_login_confirm", args=[raw]))
    assert "method=link" in _one(caplog, "login.success")


def test_a_failed_login_is_logged_without_the_typed_e_mail(client, staff_a, caplog):
    login_post(client, staff_a.email, "Wrong!Pass1")
    line = _one(caplog, "login.failure")
    assert f"username_hash={security_log.username_digest(staff_a.email)}" in line
    assert staff_a.email not in line
    assert "Wrong!Pass1" not in line
    assert [r.levelno for r in caplog.records if r.getMessage() == line] == [logging.WARNING]


def test_a_lockout_is_logged(client, staff_a, caplog):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, staff_a.email, "Wrong!Pass1")
    line = _one(caplog, "login.lockout")
    assert f"username_hash={security_log.username_digest(staff_a.email)}" in line


def test_a_logout_is_logged(client, staff_a, caplog):
    login_post(client, staff_a.email)
    client.post(reverse("accounts:logout"))
    assert f"user={staff_a.pk} " in _one(caplog, "logout")


@pytest.fixture
def device(staff_a):
    return TOTPDevice.objects.create(user=staff_a, name="телефон", confirmed=True)


def test_a_correct_second_factor_code_is_logged(client, staff_a, device, caplog):
    login_post(client, staff_a.email)
    client.post(reverse("accounts:two_factor_verify"), {"code": f"{totp(device.bin_key):06d}"})
    assert f"user={staff_a.pk} " in _one(caplog, "mfa.success")


def test_a_wrong_second_factor_code_is_logged(client, staff_a, device, caplog):
    login_post(client, staff_a.email)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    line = _one(caplog, "mfa.failure")
    assert wrong not in line


def test_binding_and_unbinding_the_app_are_logged(staff_a, caplog):
    key = services.two_factor_key_new()
    services.two_factor_enable(user=staff_a, key=key, token=f"{totp(bytes.fromhex(key)):06d}")
    services.two_factor_disable(user=staff_a, password=PASSWORD)
    _one(caplog, "mfa.enabled")
    _one(caplog, "mfa.disabled")


def test_a_password_change_is_logged(client, staff_a, caplog):
    client.force_login(staff_a)
    client.post(reverse("accounts:password_change"),
                {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert f"user={staff_a.pk} " in _one(caplog, "password.change")


def test_a_reset_request_and_the_reset_are_logged(client, staff_a, caplog):
    client.post(reverse("accounts:password_reset"), {"email": staff_a.email})
    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    requests = [line for line in _events(caplog) if line.startswith("event=password.reset_request ")]
    assert len(requests) == 2
    assert f"user={staff_a.pk} " in requests[0]
    assert "user=- " in requests[1]
    assert "nobody@example.org" not in " ".join(requests)
    client.post(last_link(staff_a.email), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "purpose=reset_password" in _one(caplog, "password.set")


def test_a_session_timeout_is_logged(client, staff_a, caplog):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_post(client, staff_a.email)
        clock.shift(dt.timedelta(minutes=31))
        client.get(reverse("accounts:staff_home"))
    assert "reason=idle" in _one(caplog, "session.timeout")


def test_ending_sessions_is_logged(client, staff_a, caplog):
    login_post(client, staff_a.email)
    call_command("end_sessions", "--email", staff_a.email)
    line = _one(caplog, "sessions.ended")
    assert "reason=ops_command" in line
    assert "count=1" in line


def test_deactivation_is_logged_as_ending_sessions(client, staff_a, caplog):
    login_post(client, staff_a.email)
    staff_a.is_active = False
    staff_a.save()
    assert "reason=deactivated" in _one(caplog, "sessions.ended")


# LOG-05 one record, one line ------------------------------------------------------------------

def _configured_formatter() -> logging.Formatter:
    """The formatter of the console handler configured by settings.LOGGING."""
    formatters = [h.formatter for h in logging.getLogger().handlers if isinstance(h.formatter, SingleLineFormatter)]
    assert formatters, "settings.LOGGING must format the console through SingleLineFormatter"
    return formatters[0]


def test_cr_lf_in_a_requested_path_stays_on_one_log_line(client, caplog):
    response = client.get("/x%0d%0aFAKE")
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    line = _configured_formatter().format(records[0])
    assert "\n" not in line
    assert "\r" not in line
    assert "FAKE" in line


def test_control_characters_and_tracebacks_are_escaped():
    formatter = SingleLineFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "user said %s", ("a\r\nb\x1b[31m\u2028c",),
                                   sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\u2028" not in line
    assert "a\\r\\nb\\x1b[31m\\u2028c" in line
    assert "Traceback" in line
    assert "ValueError: bad\\nvalue" in line


# LOG-06 the leak scan -------------------------------------------------------------------------

def test_the_scan_collects_fixture_pii_and_session_keys(client, log_secrets):
    citizen = CitizenFactory(passport_series="6904", passport_number="123456")
    raw = services.access_token_issue(user=citizen.user, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    client.get(reverse("accounts:citizen_login_confirm", args=[raw]))
    collected = log_secrets
    assert {citizen.snils, "123456", "6904123456", client.session.session_key, PASSWORD} <= collected


def test_the_scan_finds_a_leak_and_does_not_repeat_it():
    record = logging.LogRecord("flow.x", logging.INFO, __file__, 1, "citizen %s", ("12345678901",), None)
    leaks = find_leaks([record], {"12345678901", "not-there"})
    assert leaks == ["flow.x: 123…"]


def test_nothing_secret_is_logged_along_a_whole_citizen_visit(caplog, log_secrets):
    citizen = CitizenFactory()
    client = Client()
    raw = services.access_token_issue(user=citizen.user, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    client.get(reverse("accounts:citizen_login_confirm", args=[raw]))
    client.get(reverse("cabinet:home"))
    client.get("/no-such-page/")
    client.post(reverse("accounts:logout"))
    assert _events(caplog)  # the visit was logged …
    assert find_leaks(caplog.records, log_secrets) == []  # … and nothing secret in it
