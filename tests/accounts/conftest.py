"""Helpers of the accounts tests: e-mailed links, logging in through the real form."""
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.models import OutgoingEmail
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Link-request rate limits live in the cache, which outlives a test in locmem.
    cache.clear()
    yield
    cache.clear()


def mailed_links(to: str) -> list[str]:
    """Paths of the links in the e-mails queued for `to`, oldest first."""
    links = []
    for email in OutgoingEmail.objects.filter(to=to).order_by("created_at", "pk"):
        links += [urlsplit(url).path for url in re.findall(r"https?://\S+/accounts/\S+?/(?=\s|$)", email.body_text)]
    return links


def last_link(to: str) -> str:
    links = mailed_links(to)
    assert links, f"no link was e-mailed to {to}"
    return links[-1]


def login_post(client, email: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)
