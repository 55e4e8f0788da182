"""Bulk e-mails rendered once per group and stamped per recipient (core.mail.BulkMessage): each
stamped message is exactly what a full render of its own context gives, values are escaped in the
HTML part, an empty value takes its own branch, and a group that does not stamp is rendered message
by message."""
import datetime as dt
from types import SimpleNamespace
from unittest import mock

import pytest

from core import mail
from core.mail import BulkMessage, render_templated_mail, render_templated_mail_many, slot

TEMPLATE = "emails/enrollment/invitation"
PROGRAM = SimpleNamespace(title="Сварщик ручной дуговой сварки", partner=SimpleNamespace(short_name="АНО «Альфа» & Ко"))
COHORT = SimpleNamespace(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 6, 30))
SHARED = {"login_url": "https://flow.example.org/citizen/login/", "ttl_hours": 24}


def message(name: str, link: str, numbers: list[str], **changes) -> BulkMessage:
    applications = [SimpleNamespace(program=PROGRAM, cohort=COHORT, rr_number=number) for number in numbers]
    values = {"user_name": name, "link": link, **{f"rr_number_{i}": n for i, n in enumerate(numbers)}}
    lines = [SimpleNamespace(program=PROGRAM, cohort=COHORT, rr_number=slot(f"rr_number_{i}"))
             for i in range(len(numbers))]
    return BulkMessage(
        to=f"{abs(hash(link))}@example.org",
        context={**SHARED, "user_name": name, "link": link, "applications": applications},
        group=(len(numbers),),
        stamp_context={**SHARED, "user_name": slot("user_name"), "link": slot("link"), "applications": lines,
                       **changes},
        values=values)


def parts(email):
    return email.to, email.subject, email.body_text, email.body_html


def test_each_stamped_message_is_its_own_full_render():
    messages = [
        message("Анна Петровна", "https://flow.example.org/citizen/login/a1/", ["РР-1"]),
        message("Д'Артаньян", "https://flow.example.org/citizen/login/b2?x=1&y=2/", ["РР-2"]),  # escaped in HTML
        message("", "https://flow.example.org/citizen/login/c3/", ["РР-3"]),  # «Здравствуйте!» without a name
        message("Иван", "https://flow.example.org/citizen/login/d4/", ["РР-4", "РР-5"]),
        message("Мария", "https://flow.example.org/citizen/login/e5/", ["РР-6"]),
    ]
    stamped = render_templated_mail_many(TEMPLATE, messages)
    assert [parts(e) for e in stamped] == [parts(render_templated_mail(m.to, TEMPLATE, m.context)) for m in messages]
    assert "Д&#x27;Артаньян" in stamped[1].body_html
    assert "Д'Артаньян" in stamped[1].body_text
    assert "x=1&amp;y=2" in stamped[1].body_html
    assert "Здравствуйте!" in stamped[2].body_text
    assert "\ue000" not in "".join(stamped[0].body_text + stamped[0].body_html)


def test_a_group_is_rendered_once_and_checked_once():
    messages = [message(f"Гражданин{i}", f"https://flow.example.org/citizen/login/t{i}/", [f"РР-{i}"])
                for i in range(40)]
    with mock.patch.object(mail, "render_templated_mail", wraps=render_templated_mail) as render:
        emails = render_templated_mail_many(TEMPLATE, messages)
    assert render.call_count == 2  # the group's stamp and the first message's reference
    assert emails[39].body_text.count("Гражданин39") == 1
    assert "РР-39" in emails[39].body_html


def test_a_group_that_does_not_stamp_is_rendered_message_by_message():
    # The shared context says 48 hours where the messages say 24: the stamp and the reference differ.
    messages = [message(f"Гражданин{i}", f"https://flow.example.org/citizen/login/u{i}/", [f"РР-{i}"], ttl_hours=48)
                for i in range(3)]
    emails = render_templated_mail_many(TEMPLATE, messages)
    assert [parts(e) for e in emails] == [parts(render_templated_mail(m.to, TEMPLATE, m.context)) for m in messages]
    assert all("48" not in e.body_text.split("Ссылка действует")[1][:5] for e in emails)


def test_plain_messages_are_rendered_as_before():
    emails = render_templated_mail_many("emails/accounts/citizen_login", [
        ("a@example.org", {"link": "https://flow.example.org/x/", "ttl_hours": 24})])
    assert parts(emails[0]) == parts(render_templated_mail("a@example.org", "emails/accounts/citizen_login",
                                                           {"link": "https://flow.example.org/x/", "ttl_hours": 24}))


def test_a_bad_address_is_refused_as_in_a_single_send():
    from django.core.exceptions import ValidationError

    bad = message("Анна", "https://flow.example.org/citizen/login/z/", ["РР-1"])
    bad = BulkMessage(**{**bad.__dict__, "to": "not-an-address"})
    with pytest.raises(ValidationError):
        render_templated_mail_many(TEMPLATE, [message("Б", "https://flow.example.org/citizen/login/y/", ["РР-2"]), bad])
