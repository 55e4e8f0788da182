"""Every URL in the URLconf, for every persona and every verb, answers as the policy expects.

A URL that is missing here fails `test_every_url_is_in_the_matrix`: a new view is not done
until its row says who may open it. Each app keeps its rows in `tests/access_rows/<app>.py`
(`ROWS`, and `objects(world) -> dict` for the objects its URLs name); the personas, the derived
statuses of the auditor and the second citizen, and `methods` are explained in
`tests/access_rows/__init__.py`. Admin URLs are checked separately (operator reviewers only;
tests/security/test_admin_access.py sweeps every admin URL per persona).
Statuses: 200 shown, 302 redirected (to login for anonymous visitors), 403 may see but not do,
404 may not know it exists, 405 wrong method, 410 gone.

Besides the status, every request of the matrix proves (checklist ACL-03, ACL-10, ACL-11):
- a GET, and any refused request (403, 404, 405, or an anonymous visitor sent to log in), writes
  nothing to the database but the bookkeeping tables of `ALLOWED_WRITE_TABLES`; so partner A's
  staff asking for partner B's objects (404) change nothing, whatever the verb;
- a method the view does not serve is refused (405, or the persona's refusal when access is
  checked first) and writes nothing;
- a state-changing request without a CSRF token is refused (403) for the persona that would
  otherwise succeed.
"""
import importlib
import pkgutil

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import connection
from django.http import HttpResponseForbidden
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership
from core.models import ExportJob
from tests import access_rows
from tests.access_rows import FORM, PERSONAS, SUCCESS, Rule, data_writes, row
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.factories import CitizenUserFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SKIPPED_NAMESPACES = ("admin", "dev")  # admin: below; dev: mounted only when DEBUG
REFUSALS = (403, 404, 405)
VERBS = ("get", "post", "put", "patch", "delete")

# A token URL names no object of the citizen's: the second citizen gets the same page. Personal
# actions (log out, language, own second factor, own exports) are the auditor's too; creating and
# inviting are the operator's only (auditors read).
MATRIX: dict[str, Rule] = {
    "home": row(302, 302, 302, 302, 302, 302),
    # Django's own view: a GET is sent back without changing the language.
    "set_language": row(302, 302, 302, 302, 302, 302, auditor=302, method="post",
                        methods=("post", "get"), data={"language": "en"}),
    "accounts:home": row(302, 302, 302, 302, 302, 302),
    "accounts:login": row(200, 302, 302, 302, 302, 302, methods=FORM),
    "accounts:logout": row(302, 302, 302, 302, 302, 302, auditor=302, method="post"),
    "accounts:password_set": row(200, 200, 200, 200, 200, 200, citizen_b=200, args=("dead_token",), methods=FORM),
    "accounts:password_reset": row(200, 200, 200, 200, 200, 200, methods=FORM),
    "accounts:password_change": row(302, 403, 200, 200, 200, 200, methods=FORM),
    "accounts:citizen_login": row(200, 302, 200, 200, 200, 200, methods=FORM),
    "accounts:citizen_login_confirm": row(200, 200, 200, 200, 200, 200, citizen_b=200,
                                          args=("dead_token",), methods=FORM),
    "accounts:two_factor": row(302, 403, 200, 200, 200, 200, methods=FORM),
    "accounts:two_factor_verify": row(302, 403, 302, 302, 302, 302, methods=FORM),
    "accounts:two_factor_disable": row(302, 403, 302, 302, 302, 302, auditor=302, method="post"),
    "accounts:staff_home": row(302, 403, 200, 200, 200, 200),
    "accounts:staff_list": row(302, 403, 200, 200, 403, 200),
    "accounts:staff_invite": row(302, 403, 403, 403, 403, 200, auditor=403, methods=FORM),
    "accounts:membership_replace_documents": row(302, 404, 404, 403, 404, 302, args=("membership_b",),
                                                  method="post", data={"allowed": "1"}),
    "accounts:organization_list": row(302, 403, 200, 200, 200, 200),
    "accounts:organization_detail": row(302, 404, 404, 200, 404, 200, args=("partner_b",)),
    "cabinet:home": row(302, 200, 403, 403, 403, 403),
    "core:export_list": row(302, 200, 200, 200, 200, 200),
    "core:export_start": row(302, 403, 302, 302, 403, 302, auditor=302, args=("staff_export",), method="post"),
    "core:export_detail": row(302, 404, 404, 200, 404, 404, args=("export_b",)),
    "core:export_download": row(302, 404, 404, 200, 404, 404, args=("export_b",)),
}
ROW_MODULES = [importlib.import_module(f"{access_rows.__name__}.{module.name}")
               for module in pkgutil.iter_modules(access_rows.__path__)]
for _module in ROW_MODULES:
    assert not MATRIX.keys() & _module.ROWS.keys(), f"{_module.__name__} repeats rows"
    MATRIX.update(_module.ROWS)


# GETs that must record something by law, with the table and the reason (every other GET writes
# nothing but the bookkeeping tables of `ALLOWED_WRITE_TABLES`):
GET_WRITES = {
    # PDN-05: a subject access request answered at once is recorded as received and answered.
    "privacy:subject_data": ("privacy_subjectaccessrequest",),
}


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            yield from _url_names(pattern.url_patterns, f"{namespace}:{ns}" if namespace and ns else ns or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def url_names() -> set[str]:
    return {name for name in _url_names(get_resolver().url_patterns)
            if name.split(":")[0] not in SKIPPED_NAMESPACES}


def test_every_url_is_in_the_matrix():
    names = url_names()
    assert names - MATRIX.keys() == set(), "add these URLs to MATRIX with the status each persona gets"
    assert MATRIX.keys() - names == set(), "these MATRIX rows name URLs that no longer exist"


@pytest.fixture
def auditor(operator_org):
    """Reads what the operator reviewer reads, changes nothing; not an admin user."""
    return MembershipFactory(organization=operator_org, role=Membership.Role.AUDITOR,
                             user=UserFactory(email="auditor@example.org")).user


@pytest.fixture
def citizen_b(db):
    """A second citizen with an application of their own: the first citizen's objects are 404."""
    user = CitizenUserFactory(email="citizen.b@example.org", last_name="Сидоров", first_name="Семён")
    ApplicationFactory(citizen=CitizenFactory(user=user, email=user.email, last_name="Сидоров"))
    return user


@pytest.fixture
def world(personas, auditor, citizen_b, partner_a, partner_b, staff_b, operator_org, employment_org, campaign):
    job = ExportJob.objects.create(owner=staff_b, kind="accounts.staff", title="Сотрудники")
    job.start(total_rows=1)
    job.file.save("staff.csv", ContentFile(b"\xef\xbb\xbf1;2\n"), save=False)
    job.finish()
    job.save()
    objects = {
        **personas, "auditor": auditor, "citizen_b": citizen_b,
        "campaign": campaign, "partner_a": partner_a, "partner_b": partner_b,
        "operator_org": operator_org, "employment_org": employment_org,
        "dead_token": "no-such-token",
        "membership_b": staff_b.memberships.get(),
        "staff_export": "accounts.staff",
        "export_b": job,
    }
    for module in ROW_MODULES:
        if hasattr(module, "objects"):
            objects.update(module.objects(objects))
    return objects


def _url(name: str, world) -> str:
    rule = MATRIX[name]
    return reverse(name, args=[getattr(world[arg], "pk", world[arg]) for arg in rule.args])


def _login(client, world, persona) -> None:
    if persona != "anonymous":
        client.force_login(world[persona])


def _refused(response, persona) -> bool:
    """A refusal: 403/404/405, or an anonymous visitor sent to the login page."""
    if response.status_code in REFUSALS:
        return True
    return (persona == "anonymous" and response.status_code == 302
            and response["Location"].startswith(reverse("accounts:login")))


def _request(client, method: str, url: str, data=None):
    with CaptureQueriesContext(connection) as queries:
        if method in ("get", "post"):
            response = getattr(client, method)(url, data or {})
        else:
            response = client.generic(method.upper(), url)
    return response, data_writes(queries)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_persona_gets_the_expected_status(client, world, name, persona):
    rule = MATRIX[name]
    _login(client, world, persona)
    url = _url(name, world)
    response, writes = _request(client, rule.method, url, rule.data)
    where = f"{persona} {rule.method.upper()} {url}"
    assert response.status_code == rule.expect[persona], where
    if persona == "anonymous" and response.status_code == 302 and rule.expect["citizen"] != 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    # ACL-11: a GET never changes state; ACL-03: a refused request (another tenant's object: 404)
    # leaves the database as it was.
    if rule.method == "get" or _refused(response, persona):
        allowed = () if _refused(response, persona) else GET_WRITES.get(name, ())
        writes = [sql for sql in writes if not any(f'"{table}"' in sql for table in allowed)]
        assert writes == [], f"{where} wrote to the database"


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "citizen"])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_undeclared_methods_are_refused(client, world, name, persona):
    """POST to a GET page, GET to a POST endpoint, PUT/PATCH/DELETE anywhere: 405 — or, where
    access is checked before the method, the same refusal the persona gets on the served method.
    As both partners' staff and the citizen (a page only the operator opens: its refusal).
    A view that answers any verb needs a guard from django.views.decorators.http: `require_safe`
    (read pages), `require_http_methods(["GET", "HEAD", "POST"])` (form pages), `require_POST`."""
    rule = MATRIX[name]
    _login(client, world, persona)
    url = _url(name, world)
    declared = rule.expect[persona]
    for method in VERBS:
        if method in rule.served:
            continue
        allowed = {405} | ({declared} if declared in REFUSALS else set())
        response, writes = _request(client, method, url)
        assert response.status_code in allowed, f"{persona} {method.upper()} {url}"
        assert writes == [], f"{persona} {method.upper()} {url} wrote to the database"


def _acting_persona(rule: Rule) -> str:
    """The first persona the served POST would not refuse (a form page: the one that opens it), so
    that the CSRF check is the only thing standing between the request and a change; partner A's
    staff where nobody in the world may (the refusal must then still come from the CSRF check)."""
    for persona in PERSONAS:
        if rule.expect[persona] in SUCCESS and not (
                persona == "anonymous" and rule.expect["citizen"] != 302 and rule.expect[persona] == 302):
            return persona
    return "staff_a"


def csrf_refused(request, reason=""):
    """The CSRF failure view of the CSRF test: marks the refusal as the CSRF check's own."""
    response = HttpResponseForbidden("csrf")
    response["X-Refused-By"] = "csrf"
    return response


POST_ROWS = sorted(name for name, rule in MATRIX.items() if "post" in rule.served)


@pytest.mark.parametrize("name", POST_ROWS)
def test_a_post_without_a_csrf_token_is_refused(world, name, settings):
    """ACL-10: every state-changing endpoint refuses a POST without the token (the CSRF check's
    403, not the view's), as the persona that would succeed, and nothing is written."""
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_refused"
    rule = MATRIX[name]
    persona = _acting_persona(rule)
    client = Client(enforce_csrf_checks=True)
    _login(client, world, persona)
    response, writes = _request(client, "post", _url(name, world), rule.data)
    assert (response.status_code, response.get("X-Refused-By")) == (403, "csrf"), f"{persona} POST {name}"
    assert writes == []


def test_the_csrf_test_sees_an_accepted_post(world):
    """The set-up of the tests above is sound: with the token the same client gets through, and
    the write detector sees the row it adds (so its silence elsewhere means something)."""
    client = Client(enforce_csrf_checks=True)
    _login(client, world, "staff_a")
    client.get(reverse("enrollment:application_list"))
    token = client.cookies["csrftoken"].value
    response, writes = _request(client, "post", reverse("enrollment:column_set_save"),
                                {"name": "Мой набор", "cols": ["number"], "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert any("enrollment_applicationcolumnset" in sql for sql in writes), writes


def _admin_urls(model_admin) -> list[str]:
    info = (model_admin.model._meta.app_label, model_admin.model._meta.model_name)
    return [reverse("admin:{}_{}_changelist".format(*info))]


@pytest.mark.parametrize(("persona", "status"), [
    ("anonymous", 302), ("citizen", 302), ("staff_a", 302), ("employment_reviewer", 302),
    ("operator_reviewer", 200),
])
def test_the_admin_is_for_operator_reviewers_only(client, personas, persona, status):
    from accounts.groups import operator_group

    personas["operator_reviewer"].groups.add(operator_group())
    if persona != "anonymous":
        client.force_login(personas[persona])
    urls = [reverse("admin:index")]
    for model_admin in admin.site._registry.values():
        urls += _admin_urls(model_admin)
    for url in urls:
        response = client.get(url)
        expected = status
        if persona == "operator_reviewer" and url != reverse("admin:index"):
            # The operator group has view rights on Flow's apps; Django's own (auth groups, OTP
            # devices, axes) stay with superusers.
            expected = 200 if _operator_sees(url) else 403
        assert response.status_code == expected, f"{persona} GET {url}"


def _operator_sees(url: str) -> bool:
    from accounts.groups import FLOW_APPS

    return url.split("/")[2] in FLOW_APPS
