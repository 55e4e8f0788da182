"""Deployment configuration (checklist CFG-01…CFG-12). `check --deploy` itself (CFG-01) runs in
tests/test_deploy_settings.py; the production values are read here from a child process that
imports flow.settings.prod with a production-like environment."""
import json
import os
import re
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from core.models import OutgoingEmail
from tests.factories import UserFactory
from tests.security.test_auth import EVERY_URL
from tests.security.urls_errors import LEAK

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "flow.settings.prod",
    "SECRET_KEY": "k3Yq-" + "".join(chr(65 + (i * 7) % 26) + str(i % 10) for i in range(30)),
    "ALLOWED_HOSTS": "flow.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_URL": "smtp+tls://user:password@smtp.example.org:587",
}
PROD_NAMES = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_PATH", "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "CSRF_COOKIE_DOMAIN", "CSRF_COOKIE_PATH",
    "ALLOWED_HOSTS", "USE_X_FORWARDED_HOST", "TWO_FACTOR_MANDATORY", "SESSION_ENGINE",
    "DATA_UPLOAD_MAX_MEMORY_SIZE", "FILE_UPLOAD_MAX_MEMORY_SIZE", "STAFF_SESSION_IDLE_SECONDS",
    "STAFF_SESSION_ABSOLUTE_SECONDS",
]


def _run_prod(env, code="import django; django.setup()"):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def prod():
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n) for n in {PROD_NAMES!r}}}))")
    result = _run_prod(PROD_ENV, code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


# CFG-02 generic error pages -------------------------------------------------------------------

@override_settings(ROOT_URLCONF="tests.security.urls_errors")
@pytest.mark.parametrize("status", [400, 403, 404, 500, 503])
def test_error_pages_show_the_request_id_and_nothing_technical(status):
    client = Client(raise_request_exception=False)
    response = client.get(f"/_errors/{status}/")
    assert response.status_code == status
    body = response.content.decode()
    assert response["X-Request-ID"]
    assert response["X-Request-ID"] in body
    assert "Код обращения" in body
    for leak in ("Traceback", "SECRET", "SELECT", "secret_key", "RuntimeError", "SuspiciousOperation",
                 "PermissionDenied", LEAK, settings.SECRET_KEY):
        assert leak not in body, (status, leak)


@override_settings(ROOT_URLCONF="tests.security.urls_errors")
def test_a_lost_database_is_a_503_to_retry_not_a_500():
    response = Client(raise_request_exception=False).get("/_errors/503/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Сервис временно недоступен" in response.content.decode()


def test_a_csrf_failure_shows_the_generic_403_page(staff_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": staff_a.email, "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert response["X-Request-ID"] in body
    assert "CSRF" not in body
    assert "Доступ запрещён" in body


def test_production_runs_with_debug_off(prod):
    assert prod["DEBUG"] is False


# CFG-03 secrets -------------------------------------------------------------------------------

@pytest.mark.parametrize("override", [
    {"SECRET_KEY": settings.SECRET_KEY if settings.SECRET_KEY.startswith("dev-insecure-")
     else "dev-insecure-0dZr9kq3x7wQ2mYpL5vN8tB4cF6hJ1sA3eG7uK9oP2iR5"},
    {"SECRET_KEY_FALLBACKS": "dev-insecure-0dZr9kq3x7wQ2mYpL5vN8tB4cF6hJ1sA3eG7uK9oP2iR5"},
])
def test_production_refuses_the_development_key(override):
    result = _run_prod({**PROD_ENV, **override})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["short-but-random-Q2mYpL5vN8", "a" * 64])
def test_check_deploy_refuses_a_short_or_repetitive_key(key):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env={**PROD_ENV, "SECRET_KEY": key}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_the_image_build_step_still_starts():
    # The Dockerfile runs collectstatic under flow.settings.prod with SECRET_KEY=build-only.
    assert _run_prod({**PROD_ENV, "SECRET_KEY": "build-only"}).returncode == 0


def test_production_starts_with_a_proper_key_and_a_rotation_fallback():
    result = _run_prod({**PROD_ENV, "SECRET_KEY_FALLBACKS": "old-" + PROD_ENV["SECRET_KEY"][::-1]})
    assert result.returncode == 0, result.stderr


def test_the_development_key_is_marked_so_production_can_refuse_it():
    from flow.settings import base

    assert base.env.str("SECRET_KEY", default=None) or base.SECRET_KEY.startswith("dev-insecure-")


# CFG-04 Host header ---------------------------------------------------------------------------

def test_a_spoofed_host_is_refused_with_the_generic_400_page():
    client = Client(raise_request_exception=False)
    response = client.get(reverse("accounts:login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()
    assert response["X-Request-ID"] in response.content.decode()


def test_production_has_explicit_hosts_and_ignores_x_forwarded_host(prod):
    assert prod["ALLOWED_HOSTS"] == ["flow.example.org"]
    assert prod["USE_X_FORWARDED_HOST"] is False


@override_settings(SITE_URL="https://flow.example.org", ALLOWED_HOSTS=["flow.example.org", "mirror.example"])
def test_a_reset_e_mail_links_only_to_the_canonical_domain(staff_a):
    Client().post(reverse("accounts:password_reset"), {"email": staff_a.email},
                  HTTP_HOST="mirror.example", HTTP_X_FORWARDED_HOST="evil.example")
    email = OutgoingEmail.objects.get(to=staff_a.email)
    hosts = set(re.findall(r"https?://([^/\s\"'<>]+)", email.body_text + email.body_html))
    assert hosts == {"flow.example.org"}


# CFG-05 HTTPS ---------------------------------------------------------------------------------

REPRESENTATIVE = ["/accounts/login/", "/accounts/citizen/login/", "/accounts/password/reset/", "/admin/login/",
                  "/no-such-page/"]


def test_production_redirects_to_https_and_sends_hsts(prod):
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("url", REPRESENTATIVE)
def test_with_the_production_https_settings_each_page_redirects_and_carries_hsts(prod, url):
    with override_settings(SECURE_SSL_REDIRECT=prod["SECURE_SSL_REDIRECT"],
                           SECURE_HSTS_SECONDS=prod["SECURE_HSTS_SECONDS"],
                           SECURE_HSTS_INCLUDE_SUBDOMAINS=prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"]):
        client = Client()
        plain = client.get(url)
        assert plain.status_code == 301
        assert plain["Location"].startswith("https://")
        secure = client.get(url, secure=True)
        hsts = secure["Strict-Transport-Security"]
    assert re.search(r"max-age=(\d+)", hsts)
    assert int(re.search(r"max-age=(\d+)", hsts)[1]) >= 31_536_000
    assert "includeSubDomains" in hsts


# CFG-06 security headers over every URL, and CFG-09 no caching of authenticated pages ------------

def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def superuser():
    return UserFactory(email="o.orlova@example.org", last_name="Орлова", first_name="Ольга",
                       is_staff=True, is_superuser=True)


# django-otp's own admin views look the device up with .get(): a missing one (the sample pk)
# is a 500 there, still with every header checked below.
OTP_ADMIN_GET_OR_500 = {"admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"}


def test_every_url_carries_the_security_headers_and_is_never_cached_for_a_logged_in_user(superuser):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    problems = []
    for name, path in EVERY_URL:
        if name == "accounts:logout":
            continue
        response = client.get(path)
        headers = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                   "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}
        if name == "core:mail_html":  # the sandboxed e-mail preview is framed by Flow's own page
            headers["X-Frame-Options"] = "SAMEORIGIN"
        problems += [f"{name}: {key}={response.get(key)}" for key, value in headers.items()
                     if response.get(key) != value]
        if response.status_code >= 500 and name not in OTP_ADMIN_GET_OR_500:
            problems.append(f"{name}: {response.status_code}")
        if "Content-Security-Policy" not in response:
            problems.append(f"{name}: no CSP")
        elif name != "core:mail_html":
            csp = _csp(response)
            if (csp.get("frame-ancestors") != ["'none'"] or csp.get("object-src") != ["'none'"]
                    or csp.get("base-uri") != ["'none'"] or "'unsafe-inline'" in csp.get("script-src", [])):
                problems.append(f"{name}: CSP {response['Content-Security-Policy']}")
            foreign = [src for values in csp.values() for src in values
                       if not src.startswith("'") and src not in ("data:", "blob:")]
            if foreign:
                problems.append(f"{name}: foreign sources in CSP {foreign}")
        if "no-store" not in response.get("Cache-Control", "") or "Cookie" not in response.get("Vary", ""):
            problems.append(f"{name}: Cache-Control={response.get('Cache-Control')} Vary={response.get('Vary')}")
    assert not problems, "\n".join(problems)


def test_a_citizens_pages_are_never_cached(client, citizen):
    client.force_login(citizen)
    response = client.get(reverse("cabinet:home"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_no_view_uses_shared_caching():
    offenders = []
    for app in ("accounts", "core", "documents", "programs", "enrollment", "orders", "cohorts", "analytics",
                "privacy"):
        for source in (ROOT / app).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            if re.search(r"\b(cache_page|cache_control\(\s*public|CacheMiddleware)\b", text):
                offenders.append(str(source.relative_to(ROOT)))
    assert offenders == []


# CFG-07 cookies -------------------------------------------------------------------------------

def test_production_cookies_are_secure_samesite_host_prefixed_and_httponly(prod):
    assert prod["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert prod["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert prod["SESSION_COOKIE_SECURE"] is prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True
    assert prod["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert prod["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    # __Host- cookies must have no Domain and Path "/", or browsers drop them.
    assert prod["SESSION_COOKIE_DOMAIN"] is None
    assert prod["CSRF_COOKIE_DOMAIN"] is None
    assert prod["SESSION_COOKIE_PATH"] == prod["CSRF_COOKIE_PATH"] == "/"


def test_the_cookies_set_at_login_carry_the_production_attributes(prod, staff_a):
    names = ["SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
             "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE"]
    with override_settings(**{name: prod[name] for name in names}):
        client = Client()
        client.get(reverse("accounts:login"), secure=True)
        response = client.post(reverse("accounts:login"), {"username": staff_a.email, "password": "Qwerty!234x"},
                               secure=True)
        assert response.status_code == 302
        # Both are set again by the login response: a new session key and a rotated CSRF token.
        cookies = SimpleCookie()
        cookies.load(response.cookies.output(header="", sep=";"))
    session, csrf = response.cookies[prod["SESSION_COOKIE_NAME"]], response.cookies[prod["CSRF_COOKIE_NAME"]]
    assert set(cookies) == {prod["SESSION_COOKIE_NAME"], prod["CSRF_COOKIE_NAME"]}
    for cookie in (session, csrf):
        assert cookie["secure"]
        assert cookie["path"] == "/"
        assert not cookie["domain"]
        assert cookie["samesite"] in ("Lax", "Strict")
    assert session["httponly"]


# CFG-08 nothing extra is served -----------------------------------------------------------------

@pytest.mark.parametrize("method", ["TRACE", "TRACK"])
def test_trace_is_refused(client, method):
    response = client.generic(method, reverse("accounts:login"))
    assert response.status_code == 405


@pytest.mark.parametrize("path", ["/.git/config", "/.env", "/settings.py.bak", "/.login.html.swp", "/static/",
                                  "/media/", "/media/documents/scan.pdf"])
def test_probes_for_files_and_listings_get_404(client, path):
    assert client.get(path).status_code == 404


def test_no_version_banner(client):
    response = client.get(reverse("accounts:login"))
    assert "Server" not in response
    assert "X-Powered-By" not in response


# CFG-11 body-size limits ----------------------------------------------------------------------

def test_upload_limits_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES


@override_settings(ROOT_URLCONF="tests.security.urls_errors")
def test_request_data_too_big_is_a_400():
    response = Client(raise_request_exception=False).get("/_errors/too-big/")
    assert response.status_code == 400
    assert LEAK not in response.content.decode()


@override_settings(ROOT_URLCONF="tests.security.urls_errors", DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_oversized_form_body_is_a_400():
    client = Client(raise_request_exception=False)
    assert client.post("/_errors/read-post/", {"a": "x" * 100}).status_code == 200
    response = client.post("/_errors/read-post/", {"a": "x" * 5000})
    assert response.status_code == 400
    assert response["X-Request-ID"] in response.content.decode()


@override_settings(ROOT_URLCONF="tests.security.urls_errors", DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_form_fields_is_a_400():
    client = Client(raise_request_exception=False)
    response = client.post("/_errors/read-post/", {f"f{i}": "1" for i in range(50)})
    assert response.status_code == 400
