"""LOG-06 for every test in tests/security: no SNILS, passport number, session key or test
password may reach an application log.

During each test the values are collected as they are written (Citizen rows: SNILS and passport;
Session rows: the session key), and after the test every log record captured at INFO and above,
with its traceback, is searched for them. A hit fails the test with the logger's name.
A module whose purpose is to log such a value on purpose (a test of masking that needs the raw
value in a record) sets `ALLOW_PII_IN_LOGS = True`.
"""
import logging

import pytest
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save

from tests.conftest import PASSWORD

_formatter = logging.Formatter("%(name)s %(message)s")


def _citizen_secrets(instance) -> set[str]:
    values = {instance.snils}
    if instance.passport_number:
        values |= {instance.passport_number, f"{instance.passport_series}{instance.passport_number}",
                   f"{instance.passport_series} {instance.passport_number}"}
    return values


@pytest.fixture(autouse=True)
def log_secrets(request, caplog):
    from enrollment.models import Citizen

    secrets = {PASSWORD}

    def citizen_saved(sender, instance, **kwargs):
        secrets.update(value for value in _citizen_secrets(instance) if value and len(value) >= 6)

    def session_saved(sender, instance, **kwargs):
        secrets.add(instance.session_key)

    post_save.connect(citizen_saved, sender=Citizen, dispatch_uid="tests.security.citizen_secrets")
    post_save.connect(session_saved, sender=Session, dispatch_uid="tests.security.session_secrets")
    caplog.set_level(logging.INFO)
    try:
        yield secrets
    finally:
        post_save.disconnect(sender=Citizen, dispatch_uid="tests.security.citizen_secrets")
        post_save.disconnect(sender=Session, dispatch_uid="tests.security.session_secrets")
    if getattr(request.module, "ALLOW_PII_IN_LOGS", False):
        return
    leaks = find_leaks(caplog.get_records("setup") + caplog.get_records("call"), secrets)
    assert not leaks, f"secrets or personal data in the logs: {leaks}"


def find_leaks(records, secrets) -> list[str]:
    """Which of `secrets` appear in the formatted `records` (named by logger and a hint of the
    value: the failure message must not repeat the secret)."""
    leaks = []
    for record in records:
        line = _formatter.format(record)
        leaks += [f"{record.name}: {secret[:3]}…" for secret in secrets if secret and secret in line]
    return leaks
