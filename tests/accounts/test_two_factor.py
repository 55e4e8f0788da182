"""The second factor: staff bind an authenticator app (QR code, confirmed by a code); after the
password they enter a code before any other page; an organisation may require it."""
import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserEvent
from tests.accounts.conftest import login_post
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _code(key: str, offset: int = 0) -> str:
    return f"{totp(bytes.fromhex(key), drift=offset):06d}"


@pytest.fixture
def device(staff_a):
    return TOTPDevice.objects.create(user=staff_a, name="телефон", confirmed=True)


def _verify_url(next_url):
    return f"{reverse('accounts:two_factor_verify')}?next={next_url}"


# Binding the app ------------------------------------------------------------------------------

def test_the_setup_page_shows_a_qr_code_and_the_secret(client, staff_a):
    client.force_login(staff_a)
    response = client.get(reverse("accounts:two_factor"))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'src="data:image/png;base64,' in text
    assert response.context["secret"].replace(" ", "")
    assert 'name="code"' in text


def test_a_correct_code_binds_the_app_and_verifies_the_session(client, staff_a):
    client.force_login(staff_a)
    client.get(reverse("accounts:two_factor"))
    key = client.session["accounts:totp_key"]
    response = client.post(reverse("accounts:two_factor"), {"code": _code(key)})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=staff_a)
    assert device.confirmed
    assert device.key == key
    assert UserEvent.objects.filter(subject=staff_a, transition="two_factor_enable").exists()
    assert client.get(reverse("accounts:staff_home")).status_code == 200


def test_a_wrong_code_binds_nothing(client, staff_a):
    client.force_login(staff_a)
    client.get(reverse("accounts:two_factor"))
    key = client.session["accounts:totp_key"]
    wrong = f"{(int(_code(key)) + 1) % 1000000:06d}"
    response = client.post(reverse("accounts:two_factor"), {"code": wrong})
    assert response.status_code == 200
    assert "Неверный код" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=staff_a).exists()


def test_citizens_are_never_asked(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("accounts:two_factor")).status_code == 403
    assert client.get(reverse("cabinet:home")).status_code == 200


# Logging in with the code ---------------------------------------------------------------------

def test_after_the_password_a_user_with_an_app_is_sent_to_the_code_page(client, staff_a, device):
    response = login_post(client, staff_a.email)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_no_page_opens_before_the_code(client, staff_a, device):
    login_post(client, staff_a.email)
    for name in ("accounts:staff_home", "accounts:organization_list", "accounts:password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_htmx_requests_are_redirected_by_header(client, staff_a, device):
    login_post(client, staff_a.email)
    response = client.get(reverse("accounts:staff_home"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(reverse("accounts:two_factor_verify"))


def test_the_code_opens_the_requested_page(client, staff_a, device):
    login_post(client, staff_a.email)
    next_url = reverse("accounts:organization_list")
    response = client.post(_verify_url(next_url), {"code": _code(device.key), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.get(reverse("accounts:staff_home")).status_code == 200


def test_a_wrong_code_keeps_the_door_shut(client, staff_a, device):
    login_post(client, staff_a.email)
    wrong = f"{(int(_code(device.key)) + 1) % 1000000:06d}"
    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "Неверный код" in response.content.decode()
    assert client.get(reverse("accounts:staff_home")).status_code == 302


def test_a_code_cannot_be_used_twice(client, staff_a, device):
    code = _code(device.key)
    login_post(client, staff_a.email)
    client.post(reverse("accounts:two_factor_verify"), {"code": code})
    client.post(reverse("accounts:logout"))
    login_post(client, staff_a.email)
    response = client.post(reverse("accounts:two_factor_verify"), {"code": code})
    assert "Неверный код" in response.content.decode()


def test_logout_works_before_the_code(client, staff_a, device):
    login_post(client, staff_a.email)
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_an_unsafe_next_is_ignored(client, staff_a, device):
    login_post(client, staff_a.email)
    response = client.post(reverse("accounts:two_factor_verify"),
                           {"code": _code(device.key), "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("accounts:home")


# Required by the organisation -----------------------------------------------------------------

def test_a_member_of_an_organisation_that_requires_it_must_bind_an_app_first(client, staff_a, partner_a):
    partner_a.requires_two_factor = True
    partner_a.save()
    client.force_login(staff_a)
    response = client.get(reverse("accounts:staff_home"))
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    page = client.get(reverse("accounts:two_factor"))
    assert "требует" in page.content.decode()
    key = client.session["accounts:totp_key"]
    client.post(reverse("accounts:two_factor"), {"code": _code(key)})
    assert client.get(reverse("accounts:staff_home")).status_code == 200


def test_members_of_other_organisations_are_not_asked(client, staff_b, partner_a):
    partner_a.requires_two_factor = True
    partner_a.save()
    client.force_login(staff_b)
    assert client.get(reverse("accounts:staff_home")).status_code == 200


# Switching it off -----------------------------------------------------------------------------

def _verified_login(client, user, device):
    login_post(client, user.email)
    client.post(reverse("accounts:two_factor_verify"), {"code": _code(device.key)})


def test_switching_off_needs_the_password(client, staff_a, device):
    _verified_login(client, staff_a, device)
    response = client.post(reverse("accounts:two_factor_disable"), {"password": "Wrong!Pass1"})
    assert "Неверный пароль" in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff_a).exists()
    response = client.post(reverse("accounts:two_factor_disable"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff_a).exists()
    assert UserEvent.objects.filter(subject=staff_a, transition="two_factor_disable").exists()


def test_it_cannot_be_switched_off_when_the_organisation_requires_it(client, staff_a, device, partner_a):
    partner_a.requires_two_factor = True
    partner_a.save()
    _verified_login(client, staff_a, device)
    response = client.post(reverse("accounts:two_factor_disable"), {"password": PASSWORD})
    assert "требует" in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff_a).exists()
