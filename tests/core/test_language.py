import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_interface_is_russian_even_for_an_english_browser(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru"' in response.content.decode()


def test_the_switcher_turns_the_interface_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"
