"""Authentication (checklist AUTH-01…AUTH-08). Existing proofs elsewhere: lockout per
username+IP and its finite cool-off (tests/accounts/test_login_lockout.py), the link pages
(tests/accounts/test_password_set_link.py, test_citizen_login.py)."""
import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.checks import account_problems
from accounts.middleware import SETUP_EXEMPT
from accounts.models import AccessToken, Campaign
from core.models import OutgoingEmail
from flow.settings import base as base_settings
from tests.accounts.conftest import last_link, login_post
from tests.conftest import PASSWORD
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Novyy!Parol9"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()  # link-request limits and axes counters live in the cache
    yield
    cache.clear()


# AUTH-01 hashing ------------------------------------------------------------------------------

@override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS)
def test_argon2id_is_the_primary_hasher():
    assert make_password("x").startswith("argon2$argon2id$")


@override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS)
def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_login(client, staff_a):
    staff_a.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    staff_a.save(update_fields=["password"])
    assert login_post(client, staff_a.email).status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.password.startswith("argon2$argon2id$")


# AUTH-02 password policy ----------------------------------------------------------------------

LONG_CYRILLIC_EMOJI = ("Ж7!" + "ёлки зелёные под снегом 🎄 " * 10)[:128]


@pytest.mark.parametrize("password", [
    "Zelenyy!Les7",                      # 12: capital, digit, special
    "Ab1!defghi",                        # exactly 10
    LONG_CYRILLIC_EMOJI,                 # 128 characters, Cyrillic and emoji
    "Q9#" + "x" * 61,                    # 64 characters
])
def test_passwords_that_meet_the_rule_are_accepted(password):
    assert len(password) in (10, 12, 64, 128)
    user = UserFactory(email="ivan.petrovsky@example.org", first_name="Иван", last_name="Петровский")
    password_validation.validate_password(password, user)


@pytest.mark.parametrize(("password", "code"), [
    ("Ab1!defgh", "password_too_short"),            # 9 characters
    ("zelenyy!les7", "password_composition"),       # no capital
    ("Zelenyy!Less", "password_composition"),       # no digit
    ("Zelenyy7Less", "password_composition"),       # no special character
    ("Ivan.Petrovsky1!", "password_too_similar"),   # the e-mail
    ("MyFlow!2026pass", "password_flow_word"),      # the service's name
    ("Партнёр!2026Зима", "password_flow_word"),     # an organisation's name
    ("Весна!2026Кампания", "password_flow_word"),   # a campaign's title
    ("Amsz-2026!Start", "password_flow_word"),      # the national project
])
def test_passwords_that_break_the_rule_are_refused(password, code):
    OrganizationFactory(short_name="Партнёр Восток")
    Campaign.objects.create(code="spring", national_project=Campaign.NationalProject.ACTIVE_EMPLOYMENT,
                            year=2026, title="Весенняя кампания", starts_on=dt.date(2026, 1, 1),
                            ends_on=dt.date(2026, 12, 31))
    user = UserFactory(email="ivan.petrovsky@example.org", first_name="Иван", last_name="Петровский")
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password(password, user)
    assert code in [e.code for e in error.value.error_list]


def test_the_common_password_list_is_on():
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password("Password1!")
    assert "password_too_common" in [e.code for e in error.value.error_list]


# AUTH-03 lockout: the client IP comes from the trusted proxy header only ------------------------

def test_a_spoofed_x_forwarded_for_does_not_dodge_the_lock(client, staff_a):
    for n in range(5):
        client.post(reverse("accounts:login"), {"username": staff_a.email, "password": "Wrong!Pass1"},
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post(reverse("accounts:login"), {"username": staff_a.email, "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# AUTH-04 no account enumeration ---------------------------------------------------------------

def _normalised(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_a_reset_for_an_unknown_e_mail_looks_exactly_like_one_for_a_known_e_mail(client, staff_a):
    url = reverse("accounts:password_reset")
    known = client.post(url, {"email": staff_a.email}, follow=True)
    unknown = client.post(url, {"email": "nobody@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert _normalised(known) == _normalised(unknown)
    assert OutgoingEmail.objects.filter(to=staff_a.email).count() == 1
    assert not OutgoingEmail.objects.filter(to="nobody@example.org").exists()


def test_a_failed_login_reads_the_same_for_an_unknown_e_mail_and_a_wrong_password(client, staff_a):
    wrong_password = login_post(client, staff_a.email, "Wrong!Pass1")
    unknown = login_post(client, "nobody@example.org", "Wrong!Pass1")
    assert wrong_password.status_code == unknown.status_code == 200
    text = _normalised(wrong_password).replace(staff_a.email, "EMAIL")
    assert text == _normalised(unknown).replace("nobody@example.org", "EMAIL")


# AUTH-05 password change ----------------------------------------------------------------------

def test_a_change_without_the_current_password_is_a_form_error(client, staff_a):
    client.force_login(staff_a)
    response = client.post(reverse("accounts:password_change"),
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    staff_a.refresh_from_db()
    assert staff_a.check_password(PASSWORD)
    assert not OutgoingEmail.objects.filter(to=staff_a.email).exists()


def test_a_password_change_mails_one_security_notice(client, staff_a):
    client.force_login(staff_a)
    client.post(reverse("accounts:password_change"),
                {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    notices = OutgoingEmail.objects.filter(to=staff_a.email)
    assert notices.count() == 1
    notice = notices.get()
    assert notice.subject == "Flow: изменены настройки безопасности вашей учётной записи"
    assert "изменён пароль" in notice.body_text
    assert reverse("accounts:password_reset") in notice.body_text


def test_a_reset_by_link_mails_a_security_notice(client, staff_a):
    client.post(reverse("accounts:password_reset"), {"email": staff_a.email})
    client.post(last_link(staff_a.email), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    notice = OutgoingEmail.objects.filter(to=staff_a.email).latest("created_at", "pk")
    assert "пароль установлен заново" in notice.body_text


@pytest.mark.parametrize("change", ["two_factor_enable", "two_factor_disable"])
def test_binding_or_unbinding_the_app_mails_a_security_notice(staff_a, change):
    from django_otp.oath import TOTP

    key = services.two_factor_key_new()
    code = f"{TOTP(bytes.fromhex(key)).token():06d}"
    services.two_factor_enable(user=staff_a, key=key, token=code)
    if change == "two_factor_disable":
        services.two_factor_disable(user=staff_a, password=PASSWORD)
    notices = list(OutgoingEmail.objects.filter(to=staff_a.email).order_by("pk").values_list("body_text", flat=True))
    assert len(notices) == (1 if change == "two_factor_enable" else 2)
    expected = "включён вход" if change == "two_factor_enable" else "отключён вход"
    assert expected in notices[-1]


def test_an_e_mail_change_is_told_to_the_old_address(staff_a):
    old = staff_a.email
    staff_a.email = "new.address@example.org"
    staff_a.save()
    notice = OutgoingEmail.objects.get()
    assert notice.to == old
    assert "изменён адрес электронной почты" in notice.body_text


def test_a_phone_change_is_told_by_e_mail(staff_a):
    staff_a.phone = "+7 900 000-00-00"
    staff_a.save(update_fields=["phone"])
    assert "изменён номер телефона" in OutgoingEmail.objects.get(to=staff_a.email).body_text


def test_saving_a_user_without_a_contact_change_sends_nothing(staff_a, citizen):
    staff_a.last_name = "Другая"
    staff_a.save()
    citizen.email = "citizen.new@example.org"  # citizens' contacts come from the feed: no notice
    citizen.save()
    assert not OutgoingEmail.objects.exists()


# AUTH-06 mandatory second factor for staff ----------------------------------------------------

_SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def _every_url() -> list[tuple[str, str]]:
    """(name, path) of every named URL in the URLconf, admin included, with sample arguments."""
    found = []

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}:{ns}" if namespace and ns else ns or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                converters = getattr(pattern.pattern, "converters", {})
                kwargs = {key: _SAMPLES.get(type(conv).__name__.removesuffix("Converter").lower(), "1")
                          for key, conv in converters.items()}
                regex_groups = pattern.pattern.regex.groupindex
                if regex_groups and not converters:
                    continue  # admin regex routes (app_list): covered by the admin index and changelists
                found.append((name, reverse(name, kwargs=kwargs)))

    walk(get_resolver().url_patterns)
    return found


EVERY_URL = _every_url()


@pytest.fixture
def staff_without_app(request, staff_a, operator_reviewer):
    superuser = UserFactory(email="i.ivanov@example.org", last_name="Иванов", first_name="Иван",
                            is_staff=True, is_superuser=True)
    return {"staff_a": staff_a, "operator_reviewer": operator_reviewer, "superuser": superuser}


@override_settings(TWO_FACTOR_MANDATORY=True)
@pytest.mark.parametrize("persona", ["staff_a", "operator_reviewer", "superuser"])
def test_staff_without_an_app_are_sent_to_bind_one_from_every_staff_and_admin_url(client, staff_without_app,
                                                                                  persona):
    assert len(EVERY_URL) > 50
    assert any(name.startswith("admin:") for name, _path in EVERY_URL)
    client.force_login(staff_without_app[persona])
    setup = reverse("accounts:two_factor")
    for name, path in EVERY_URL:
        if name in SETUP_EXEMPT:
            continue
        response = client.get(path)
        assert response.status_code == 302, f"{persona} GET {name} {path}: {response.status_code}"
        assert response["Location"].startswith(setup + "?next="), f"{persona} GET {name} → {response['Location']}"


@override_settings(TWO_FACTOR_MANDATORY=True)
def test_the_setup_page_itself_and_logout_stay_open(client, staff_a):
    client.force_login(staff_a)
    assert client.get(reverse("accounts:two_factor")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


@override_settings(TWO_FACTOR_MANDATORY=True)
def test_once_the_app_is_verified_the_pages_open(client, staff_a):
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.create(user=staff_a, name="телефон", confirmed=True)
    client.force_login(staff_a)
    assert client.get(reverse("accounts:staff_home")).status_code == 302  # bound, not yet verified
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("accounts:staff_home")).status_code == 200


@override_settings(TWO_FACTOR_MANDATORY=True)
def test_when_it_is_mandatory_the_app_cannot_be_unbound(staff_a):
    from django_otp.oath import TOTP

    key = services.two_factor_key_new()
    services.two_factor_enable(user=staff_a, key=key, token=f"{TOTP(bytes.fromhex(key)).token():06d}")
    with pytest.raises(ValidationError, match="отключить его нельзя"):
        services.two_factor_disable(user=staff_a, password=PASSWORD)
    assert TOTPDevice.objects.filter(user=staff_a).exists()


@override_settings(TWO_FACTOR_MANDATORY=True)
def test_citizens_are_not_asked_for_an_app(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("cabinet:home")).status_code == 200


def test_production_makes_the_second_factor_mandatory():
    source = (base_settings.BASE_DIR / "flow" / "settings" / "prod.py").read_text()
    assert re.search(r"^TWO_FACTOR_MANDATORY = True$", source, re.M)


# AUTH-07 no default or shared accounts --------------------------------------------------------

@pytest.mark.parametrize("email", ["admin@flow.example.org", "root@example.org", "Test@example.org"])
def test_a_default_account_name_fails_the_database_check(email):
    UserFactory(email=email)
    assert any("default or shared account" in problem for problem in account_problems())
    with pytest.raises(SystemCheckError, match="accounts.W001"):
        call_command("check", "--database", "default", "--tag", "database", "--fail-level", "WARNING")


def test_a_superuser_without_a_named_owner_fails_the_check():
    UserFactory(email="ops-1@example.org", last_name="", first_name="", is_staff=True, is_superuser=True)
    assert account_problems() == [f"superuser #{UserFactory._meta.model.objects.get(email='ops-1@example.org').pk} "
                                  "has no named owner (last and first name are required)"]


def test_personal_accounts_pass_the_check(staff_a, operator_reviewer, citizen):
    UserFactory(email="a.smirnova@example.org", last_name="Смирнова", first_name="Анна",
                is_staff=True, is_superuser=True)
    assert account_problems() == []
    call_command("check", "--database", "default", "--tag", "database", "--fail-level", "WARNING")


def test_createsuperuser_requires_the_owners_name():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="last_name"):
        call_command("createsuperuser", "--noinput", "--email", "k.sokolova@example.org")
    call_command("createsuperuser", "--noinput", "--email", "k.sokolova@example.org", "--last_name", "Соколова",
                 "--first_name", "Ксения")
    assert account_problems() == []


# AUTH-08 tokens -------------------------------------------------------------------------------

def _set_password_via(client, raw):
    return client.post(reverse("accounts:password_set", args=[raw]),
                       {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_a_reset_link_works_once(client, staff_a):
    raw = services.access_token_issue(user=staff_a, purpose=AccessToken.Purpose.RESET_PASSWORD)
    assert _set_password_via(client, raw).status_code == 302
    client.logout()
    response = _set_password_via(client, raw)
    assert "Ссылка устарела или уже использована" in response.content.decode()


def test_a_reset_link_dies_with_its_lifetime(client, staff_a, settings):
    raw = services.access_token_issue(user=staff_a, purpose=AccessToken.Purpose.RESET_PASSWORD)
    with time_machine.travel(timezone.now() + settings.PASSWORD_SET_LINK_TTL + dt.timedelta(seconds=1)):
        response = _set_password_via(client, raw)
    assert "Ссылка устарела или уже использована" in response.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(PASSWORD)


def test_reset_links_are_short_lived():
    assert dt.timedelta(hours=72) >= base_settings.PASSWORD_SET_LINK_TTL
    assert dt.timedelta(hours=24) >= base_settings.CITIZEN_LOGIN_LINK_TTL


def test_a_password_change_voids_an_outstanding_reset_link(client, staff_a):
    raw = services.access_token_issue(user=staff_a, purpose=AccessToken.Purpose.RESET_PASSWORD)
    services.password_change(user=staff_a, password=NEW_PASSWORD)
    response = _set_password_via(client, raw)
    assert "Ссылка устарела или уже использована" in response.content.decode()
    assert not AccessToken.objects.get(token_hash=AccessToken.hash(raw)).is_usable


@pytest.mark.parametrize(("url_name", "known_fixture"), [("accounts:password_reset", "staff_a"),
                                                         ("accounts:citizen_login", "citizen")])
def test_an_unknown_address_costs_the_same_rendering_as_a_known_one(client, request, monkeypatch, url_name,
                                                                   known_fixture):
    """AUTH-04 timing: the letter is rendered (and a token drawn) for an unknown address too, then
    dropped, so the server's work — and its response time — does not reveal an account."""
    from core import mail

    rendered = []
    real = mail.render_templated_mail

    def spy(to, template, context):
        rendered.append(template)
        return real(to, template, context)

    monkeypatch.setattr(mail, "render_templated_mail", spy)
    monkeypatch.setattr("accounts.services.render_templated_mail", spy)
    known = request.getfixturevalue(known_fixture)
    client.post(reverse(url_name), {"email": known.email})
    client.post(reverse(url_name), {"email": "nobody@example.org"})
    assert len(rendered) == 2
    assert rendered[0] == rendered[1]
    assert not OutgoingEmail.objects.filter(to="nobody@example.org").exists()
