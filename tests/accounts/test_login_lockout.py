"""django-axes: five failures lock that e-mail from that IP for 30 minutes, with a Russian page."""
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.accounts.conftest import login_post

pytestmark = pytest.mark.django_db
WRONG = "Wrong!Pass1"


def _fail_five_times(client, email, ip="10.0.0.1"):
    for _ in range(5):
        login_post(client, email, WRONG, ip=ip)


def test_five_failures_lock_the_username_from_that_ip_even_for_the_right_password(client, staff_a):
    _fail_five_times(client, staff_a.email)
    response = login_post(client, staff_a.email, ip="10.0.0.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "Вход временно заблокирован" in text
    assert "через 30 минут" in text


def test_four_failures_do_not_lock(client, staff_a):
    for _ in range(4):
        login_post(client, staff_a.email, WRONG, ip="10.0.0.1")
    assert login_post(client, staff_a.email, ip="10.0.0.1").status_code == 302


def test_the_same_username_from_another_ip_is_not_locked(client, staff_a):
    _fail_five_times(client, staff_a.email)
    response = login_post(client, staff_a.email, ip="10.0.0.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_a.pk)


def test_another_username_from_the_same_ip_is_not_locked(client, staff_a, staff_b):
    _fail_five_times(client, staff_a.email)
    assert login_post(client, staff_b.email, ip="10.0.0.1").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, staff_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail_five_times(client, staff_a.email)
        assert login_post(client, staff_a.email, ip="10.0.0.1").status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = login_post(client, staff_a.email, ip="10.0.0.1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_a.pk)


def test_changing_the_case_of_the_e_mail_does_not_dodge_the_lock(client, staff_a):
    for email in ["staff.a@example.org", "STAFF.A@example.org", "Staff.A@example.org",
                  "staff.A@EXAMPLE.org", "sTaff.a@example.org"]:
        login_post(client, email, WRONG, ip="10.0.0.1")
    assert login_post(client, "STAFF.a@example.org", ip="10.0.0.1").status_code == 429


def test_a_successful_login_clears_the_failures(client, staff_a):
    for _ in range(4):
        login_post(client, staff_a.email, WRONG, ip="10.0.0.1")
    assert login_post(client, staff_a.email, ip="10.0.0.1").status_code == 302
    client.logout()
    for _ in range(4):
        login_post(client, staff_a.email, WRONG, ip="10.0.0.1")
    assert login_post(client, staff_a.email, ip="10.0.0.1").status_code == 302


def test_it_locks_whichever_form_field_axes_is_told_to_read(client, staff_a, settings):
    settings.AXES_USERNAME_FORM_FIELD = "username"
    _fail_five_times(client, staff_a.email)
    assert login_post(client, staff_a.email, ip="10.0.0.1").status_code == 429
    assert login_post(client, staff_a.email, ip="10.0.0.2").status_code == 302
