"""E-mail headers built from user data cannot smuggle headers (EXP-06), and no page loads anything
from a foreign origin: the CSP allows only our own, and no template or stylesheet names a CDN,
web font or analytics host (PDN-08: personal data and its visitors' traffic stay with Flow)."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from core.mail import outbox_send, send_templated_mail
from core.models import OutgoingEmail

ROOT = Path(__file__).resolve().parents[2]
# Loaded by the browser: src/href of scripts, styles, images, fonts, frames; CSS url()/@import.
FETCHED = re.compile(r"""(?:<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc|<link\b[^>]*\bhref)"""
                     r"""\s*=\s*["']?(?:https?:)?//"""
                     r"""|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.django_db
def test_a_name_with_a_line_break_cannot_add_a_header(django_capture_on_commit_callbacks):
    hostile = "Ольга\r\nBcc: thief@evil.example\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        email = send_templated_mail(to="owner@flow.test", template="emails/core/notice",
                                    context={"subject": f"Заявка {hostile}", "text": "Текст", "user_name": hostile})
    assert "\r" not in email.subject
    assert "\n" not in email.subject
    outbox_send(email_id=email.pk)
    [message] = mail.outbox
    assert message.recipients() == ["owner@flow.test"]
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert not re.search(r"^Bcc:", headers, re.MULTILINE)
    assert OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT


@pytest.mark.django_db
def test_an_address_with_a_line_break_is_refused_before_anything_is_queued():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        send_templated_mail(to="owner@flow.test\r\nBcc: thief@evil.example", template="emails/core/notice",
                            context={"subject": "Тема", "text": "Текст"})
    assert not OutgoingEmail.objects.exists()


def test_the_content_security_policy_names_no_foreign_origin():
    for directive, sources in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items():
        foreign = [source for source in sources if source not in ("'self'", "'none'", "data:")]
        assert foreign == [], f"{directive} allows {foreign}"


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_no_page_or_stylesheet_fetches_from_another_host(folder):
    offenders = []
    for path in (ROOT / folder).rglob("*"):
        if (path.suffix in {".html", ".css", ".js", ".svg"} and path.is_file()
                and FETCHED.search(path.read_text(errors="replace"))):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_pattern_catches_what_it_is_meant_to():
    for hostile in ('<script src="https://cdn.example/x.js">', "<link href='//fonts.example/css'>",
                    "body{background:url(https://t.example/p.gif)}", '@import url("https://x.example/a.css");',
                    '<img alt="" src=http://pixel.example/>'):
        assert FETCHED.search(hostile), hostile
    assert not FETCHED.search('<a href="https://trudvsem.ru/">')  # a link the citizen follows is not a fetch
