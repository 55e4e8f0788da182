"""ACL-06 and PDN-10: SNILS and passport numbers are masked where they are listed (admin
changelists, logs); forms name their fields and never take the tenant, the status or the owner
from a POST. (Error reports are scrubbed by privacy.reporting: tests/security/test_audit.py.)
The partner's application list shows the SNILS masked too; the audited export and the
application page keep the full number, and the list still finds a citizen by it.
"""
import importlib
import logging
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse

from accounts.groups import operator_group
from enrollment.models import Application
from privacy.masking import mask_snils
from tests.enrollment.factories import CitizenFactory, valid_snils
from tests.enrollment.test_application_support import application_for, contracted_program

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "analytics", "cohorts", "core", "documents", "enrollment", "orders", "privacy", "programs")
SNILS = valid_snils(123123)
PASSPORT = "987654"
# Fields a form must never take from the request: the tenant, the workflow status, the owner.
PROTECTED = {"organization", "partner", "status", "owner", "user", "citizen", "created_by", "sender"}
# `fields = "__all__"` allowed only here, with the reason.
ALL_FIELDS_ALLOWLIST = {
    # Django's UserAdmin pattern: the admin's fieldsets pass the explicit field list to the form
    # factory, which overrides Meta.fields (the lead may spell the list out: see the report).
    "accounts/admin.py": "UserChangeForm: the UserAdmin fieldsets decide the fields",
}


@pytest.fixture
def reviewer(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return operator_reviewer


@pytest.mark.django_db
def test_the_citizen_changelist_masks_the_snils(client, reviewer):
    CitizenFactory(snils=SNILS, passport_number=PASSPORT, last_name="Маскина")
    client.force_login(reviewer)
    html = client.get(reverse("admin:enrollment_citizen_changelist")).content.decode()
    assert "Маскина" in html
    assert SNILS not in html
    assert mask_snils(SNILS) in html
    assert PASSPORT not in html


@pytest.mark.django_db
def test_the_partner_list_masks_the_snils_and_still_finds_by_it(client, staff_a, partner_a, campaign):
    program = contracted_program(partner_a, campaign)[0]
    application = application_for(program, Application.Status.PRIMARY_DOCS_REVIEW)
    type(application.citizen).objects.filter(pk=application.citizen_id).update(snils=SNILS)
    client.force_login(staff_a)
    html = client.get(reverse("enrollment:application_list")).content.decode()
    assert application.rr_number in html
    assert SNILS not in html
    assert mask_snils(SNILS) in html
    found = client.get(reverse("enrollment:application_list"), {"q": SNILS}).content.decode()
    assert application.rr_number in found  # the number typed is echoed in the search box, nowhere else


@pytest.mark.django_db
def test_the_admin_still_finds_a_citizen_by_the_full_snils(client, reviewer):
    CitizenFactory(snils=SNILS, last_name="Маскина")
    CitizenFactory(last_name="Другая")
    client.force_login(reviewer)
    html = client.get(reverse("admin:enrollment_citizen_changelist"), {"q": SNILS}).content.decode()
    assert "Маскина" in html
    assert "Другая" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["application", "applicationdocument", "withdrawalrequest",
                                   "qualificationdocument"])
def test_application_changelists_show_no_snils_or_passport(client, reviewer, partner_a, campaign, model):
    program = contracted_program(partner_a, campaign)[0]
    application = application_for(program, Application.Status.PRIMARY_DOCS_REVIEW)
    type(application.citizen).objects.filter(pk=application.citizen_id).update(snils=SNILS, passport_number=PASSPORT)
    client.force_login(reviewer)
    html = client.get(reverse(f"admin:enrollment_{model}_changelist")).content.decode()
    assert SNILS not in html
    assert PASSPORT not in html


def test_log_records_are_masked_by_the_console_handler():
    """Every handler of the logging configuration carries the masking filter."""
    config = settings.LOGGING
    mask = [name for name, spec in config["filters"].items()
            if spec.get("()") == "privacy.reporting.MaskPersonalDataFilter"]
    assert mask
    for name, handler in config["handlers"].items():
        assert set(mask) & set(handler.get("filters", [])), f"handler {name} logs unmasked"
    record = logging.LogRecord("flow", logging.INFO, __file__, 1, "citizen %s, passport %s",
                               (SNILS, "6904 " + PASSPORT), None)
    module, _dot, cls = config["filters"][mask[0]]["()"].rpartition(".")
    getattr(importlib.import_module(module), cls)().filter(record)
    assert SNILS not in record.getMessage()
    assert PASSPORT not in record.getMessage()


def _model_forms():
    for app in APPS:
        for module_name in ("forms", "forms_cabinet", "admin"):
            try:
                module = importlib.import_module(f"{app}.{module_name}")
            except ModuleNotFoundError:
                continue
            for value in vars(module).values():
                if (isinstance(value, type) and issubclass(value, forms.ModelForm)
                        and value.__module__ == module.__name__):
                    yield value


def test_model_forms_never_take_the_tenant_status_or_owner():
    found = list(_model_forms())
    assert found, "no ModelForm found: the sweep is broken"
    for form in found:
        if getattr(form.Meta, "fields", None) == "__all__":
            continue  # the lint below
        fields = form._meta.fields
        assert fields, f"{form.__module__}.{form.__name__} lists no fields"
        assert not PROTECTED & set(form.base_fields), f"{form.__name__} takes {PROTECTED & set(form.base_fields)}"


def test_no_form_or_admin_uses_all_fields():
    pattern = re.compile(r"""fields\s*=\s*["']__all__["']""")
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and pattern.search(path.read_text("utf-8")):
                found.add(str(path.relative_to(ROOT)))
    assert found <= ALL_FIELDS_ALLOWLIST.keys(), f'fields = "__all__" in {sorted(found - ALL_FIELDS_ALLOWLIST.keys())}'


@pytest.mark.django_db
def test_a_tampered_edit_post_keeps_tenant_status_and_identity(client, staff_a, partner_a, partner_b, campaign):
    program = contracted_program(partner_a, campaign)[0]
    application = application_for(program, Application.Status.PRIMARY_DOCS_REVIEW)
    citizen = application.citizen
    client.force_login(staff_a)
    url = reverse("enrollment:application_edit", args=[application.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(passport_number="111222",  # the legitimate change, so the POST is processed
                partner=partner_b.pk, status=Application.Status.STUDYING, snils=SNILS, email="x@evil.example",
                organization=partner_b.pk, owner=staff_a.pk, user=staff_a.pk, region="77")
    response = client.post(url, data)
    assert response.status_code == 302
    application.refresh_from_db()
    citizen.refresh_from_db()
    assert citizen.passport_number == "111222"
    assert (application.partner_id, application.status, application.region_id) == (
        partner_a.pk, Application.Status.PRIMARY_DOCS_REVIEW, "70")
    assert citizen.snils != SNILS
    assert citizen.email != "x@evil.example"
    assert citizen.user_id != staff_a.pk
