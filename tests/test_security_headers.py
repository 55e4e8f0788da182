"""Headers every response carries (CFG-06), no caching of personal pages (CFG-09), and error
pages with a request ID and nothing technical (CFG-02)."""
import pytest
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("SELECT secret FROM traceback")


urlpatterns = [path("boom/", boom)]
handler500 = "core.views.server_error"


def _csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert response["X-Request-ID"]


def test_pages_for_a_logged_in_user_are_never_cached(client, staff_a):
    client.force_login(staff_a)
    response = client.get("/accounts/staff/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_a_spoofed_host_is_refused(client):
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400


@pytest.mark.urls("tests.test_security_headers")
def test_a_server_error_shows_the_request_id_and_nothing_technical():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert response["X-Request-ID"] in body
    for leak in ("Traceback", "SELECT", "SECRET", "RuntimeError"):
        assert leak not in body
