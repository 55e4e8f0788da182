"""ADM-01, ADM-02, ADM-04: the Django admin is the operator reviewers' (and ops') tool.

- Every admin URL (index, app pages, each model's changelist, add, change, history and delete
  pages, autocomplete, password change), by GET and POST, sends anyone else — anonymous, both
  citizens, both partners' staff, the employment reviewer, the auditor (not an admin user) — to
  the admin's login page (or answers 404), and writes nothing.
- A forged changelist POST carrying a formset with an extra form adds no row (no admin has
  `list_editable`; Django 5.2.13's fix for forged formsets), as a reviewer and as a superuser; a
  forged extra form in a read-only inline adds no row, and a read-only field posted stays as it was.
- Bulk actions need their permission: a staff user without the support right cannot run them.
- django-import-export refuses to run without permission codes once an admin uses it.
"""
import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.groups import operator_group
from accounts.models import Membership
from enrollment.models import Application, ApplicationEvent
from tests.access_rows import data_writes
from tests.enrollment.factories import ApplicationFactory
from tests.factories import CitizenUserFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDERS = ("anonymous", "citizen", "citizen_b", "staff_a", "staff_b", "employment_reviewer", "auditor")


@pytest.fixture
def outsiders(personas, operator_org):
    auditor = MembershipFactory(organization=operator_org, role=Membership.Role.AUDITOR,
                                user=UserFactory(email="auditor@example.org")).user
    return {**personas, "auditor": auditor, "citizen_b": CitizenUserFactory(email="citizen.b@example.org")}


def admin_urls(object_id="1") -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:autocomplete"), reverse("admin:password_change"),
            reverse("admin:jsi18n")]
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        urls.append(reverse("admin:app_list", args=[app_label]))
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        for suffix, args in (("add", []), ("change", [object_id]), ("history", [object_id]),
                             ("delete", [object_id])):
            try:
                urls.append(reverse(f"{info}_{suffix}", args=args))
            except NoReverseMatch:  # an admin without that page
                continue
    return urls


def test_the_sweep_covers_every_registered_model():
    urls = admin_urls()
    assert len(urls) > 4 * len(admin.site._registry)
    assert reverse("admin:enrollment_citizen_changelist") in urls


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_the_admin_is_closed_to_everyone_but_reviewers(client, outsiders, persona):
    ApplicationFactory()  # an object behind the change pages
    if persona != "anonymous":
        client.force_login(outsiders[persona])
    # The site's login (LoginRequiredMiddleware, for anonymous visitors) or the admin's own.
    logins = (reverse("admin:login"), reverse("accounts:login"))
    for url in admin_urls(object_id=str(Application.objects.get().pk)):
        for method in ("get", "post"):
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method)(url)
            where = f"{persona} {method.upper()} {url}"
            assert response.status_code in (302, 404), where
            if response.status_code == 302:
                assert response["Location"].startswith(logins), where
            assert data_writes(queries) == [], f"{where} wrote to the database"


@pytest.fixture
def reviewer(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return operator_reviewer


@pytest.fixture
def superuser(db):
    return UserFactory(email="ops@example.org", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("who", ["reviewer", "superuser"])
def test_a_forged_changelist_formset_adds_no_row(client, request, who):
    ApplicationFactory()
    client.force_login(request.getfixturevalue(who))
    for model in admin.site._registry:
        before = model._default_manager.count()
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        field = next((f.name for f in model._meta.fields if f.editable and not f.primary_key), "id")
        response = client.post(url, {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0",
                                     "form-MAX_NUM_FORMS": "1000", f"form-0-{field}": "forged",
                                     f"form-1-{field}": "forged", "_save": "Сохранить"})
        assert response.status_code in (200, 302, 403), url
        assert model._default_manager.count() == before, f"{url}: a forged formset added a row"


def test_a_bulk_action_needs_its_permission(client, operator_org):
    """A staff user with the reviewers' model permissions but no operator role (an auditor let into
    the admin) cannot run the support action: the action is not even offered."""
    application = ApplicationFactory()
    auditor = MembershipFactory(organization=operator_org, role=Membership.Role.AUDITOR,
                                user=UserFactory(email="admin.auditor@example.org", is_staff=True)).user
    auditor.groups.add(operator_group())
    client.force_login(auditor)
    url = reverse("admin:enrollment_application_changelist")
    assert "recompute" not in client.get(url).content.decode()
    events = ApplicationEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        client.post(url, {"action": "recompute", "_selected_action": [application.pk], "index": "0"})
    assert ApplicationEvent.objects.count() == events
    assert data_writes(queries) == []


def test_import_export_needs_permission_codes():
    """ADM-04: django-import-export checks the permission codes only when they are set: they are,
    so the first admin that uses it checks add/view permissions from the start."""
    assert settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE == "add"
    assert settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE == "view"


def _change_form_data(response) -> dict:
    """The POST the admin's change page would send unchanged: its form and every inline's forms."""
    data = {}

    def put(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.initial_forms:
            put(form)
    return data


def test_a_forged_inline_form_adds_no_row_and_a_readonly_flag_stays(client, reviewer, staff_a):
    """ADM-02 (CVE-2026-4277/4292 class): the user's history inline is read-only — a POST adding a
    form to it adds no event; `is_superuser` is read-only for a reviewer — posting it changes nothing."""
    from accounts.models import UserEvent

    client.force_login(reviewer)
    url = reverse("admin:accounts_user_change", args=[staff_a.pk])
    response = client.get(url)
    assert response.status_code == 200
    data = _change_form_data(response)
    events = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is UserEvent)
    prefix = events.prefix
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update({f"{prefix}-TOTAL_FORMS": str(index + 1), f"{prefix}-{index}-event": "invited",
                 f"{prefix}-{index}-comment": "подделка", f"{prefix}-{index}-subject": str(staff_a.pk),
                 "is_superuser": "on", "is_staff": "on", "last_name": "Исправленный"})
    before = UserEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    staff_a.refresh_from_db()
    assert staff_a.last_name == "Исправленный"  # the POST was accepted…
    assert UserEvent.objects.count() == before  # …but not the forged history row
    assert not UserEvent.objects.filter(comment="подделка").exists()
    assert (staff_a.is_superuser, staff_a.is_staff) == (False, False)


def test_a_bulk_action_is_audited_with_its_count_and_rate_limited(client, settings):
    """ADM-04: each run of an admin action over citizens' data writes one audit event naming the
    action and the number of rows; past the hourly limit the action is refused and does nothing."""
    from privacy.models import AuditEvent

    settings.PRIVACY_ADMIN_ACTIONS_PER_HOUR = 1
    applications = [ApplicationFactory(), ApplicationFactory()]
    client.force_login(UserFactory(email="ops.person@example.org", is_staff=True, is_superuser=True))
    url = reverse("admin:enrollment_application_changelist")
    post = {"action": "recompute", "_selected_action": [a.pk for a in applications], "index": "0"}

    client.post(url, post, follow=True)
    [event] = AuditEvent.objects.filter(details__has_key="admin_action")
    assert event.details == {"admin_action": "recompute", "count": 2}
    assert event.object_type == "enrollment.application"

    events = ApplicationEvent.objects.count()
    refused = client.post(url, post, follow=True)
    assert "Слишком много массовых действий" in refused.content.decode()
    assert ApplicationEvent.objects.count() == events
    assert AuditEvent.objects.filter(details__has_key="admin_action").count() == 1
