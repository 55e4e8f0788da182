"""Every URL in the URLconf, for every persona, answers with the status the policy expects.

A URL that is missing here fails `test_every_url_is_in_the_matrix`: a new view is not done
until its row says who may open it. Each app keeps its rows in `tests/access_rows/<app>.py`
(`ROWS`, and `objects(world) -> dict` for the objects its URLs name). Admin URLs are checked
separately (operator reviewers only).
Statuses: 200 shown, 302 redirected (to login for anonymous visitors), 403 may see but not do,
404 may not know it exists, 405 wrong method, 410 gone.
"""
import importlib
import pkgutil

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import ExportJob
from tests import access_rows
from tests.access_rows import PERSONAS, Rule, row

pytestmark = pytest.mark.django_db

SKIPPED_NAMESPACES = ("admin", "dev")  # admin: below; dev: mounted only when DEBUG

MATRIX: dict[str, Rule] = {
    "home": row(302, 302, 302, 302, 302, 302),
    "set_language": row(302, 302, 302, 302, 302, 302, method="post", data={"language": "en"}),
    "accounts:home": row(302, 302, 302, 302, 302, 302),
    "accounts:login": row(200, 302, 302, 302, 302, 302),
    "accounts:logout": row(302, 302, 302, 302, 302, 302, method="post"),
    "accounts:password_set": row(200, 200, 200, 200, 200, 200, args=("dead_token",)),
    "accounts:password_reset": row(200, 200, 200, 200, 200, 200),
    "accounts:password_change": row(302, 403, 200, 200, 200, 200),
    "accounts:citizen_login": row(200, 302, 200, 200, 200, 200),
    "accounts:citizen_login_confirm": row(200, 200, 200, 200, 200, 200, args=("dead_token",)),
    "accounts:two_factor": row(302, 403, 200, 200, 200, 200),
    "accounts:two_factor_verify": row(302, 403, 302, 302, 302, 302),
    "accounts:two_factor_disable": row(302, 403, 302, 302, 302, 302, method="post"),
    "accounts:staff_home": row(302, 403, 200, 200, 200, 200),
    "accounts:staff_list": row(302, 403, 200, 200, 403, 200),
    "accounts:staff_invite": row(302, 403, 403, 403, 403, 200),
    "accounts:membership_replace_documents": row(302, 404, 404, 403, 404, 302, args=("membership_b",),
                                                  method="post", data={"allowed": "1"}),
    "accounts:organization_list": row(302, 403, 200, 200, 200, 200),
    "accounts:organization_detail": row(302, 404, 404, 200, 404, 200, args=("partner_b",)),
    "cabinet:home": row(302, 200, 403, 403, 403, 403),
    "core:export_list": row(302, 200, 200, 200, 200, 200),
    "core:export_start": row(302, 403, 302, 302, 403, 302, args=("staff_export",), method="post"),
    "core:export_detail": row(302, 404, 404, 200, 404, 404, args=("export_b",)),
    "core:export_download": row(302, 404, 404, 200, 404, 404, args=("export_b",)),
}
ROW_MODULES = [importlib.import_module(f"{access_rows.__name__}.{module.name}")
               for module in pkgutil.iter_modules(access_rows.__path__)]
for _module in ROW_MODULES:
    assert not MATRIX.keys() & _module.ROWS.keys(), f"{_module.__name__} repeats rows"
    MATRIX.update(_module.ROWS)


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
def world(personas, partner_a, partner_b, staff_b, operator_org, employment_org, campaign):
    job = ExportJob.objects.create(owner=staff_b, kind="accounts.staff", title="Сотрудники")
    job.start(total_rows=1)
    job.file.save("staff.csv", ContentFile(b"\xef\xbb\xbf1;2\n"), save=False)
    job.finish()
    job.save()
    objects = {
        **personas,
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


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_persona_gets_the_expected_status(client, personas, world, name, persona):
    rule = MATRIX[name]
    if persona != "anonymous":
        client.force_login(personas[persona])
    url = reverse(name, args=[getattr(world[arg], "pk", world[arg]) for arg in rule.args])
    response = getattr(client, rule.method)(url, rule.data)
    assert response.status_code == rule.expect[persona], f"{persona} {rule.method.upper()} {url}"
    if persona == "anonymous" and response.status_code == 302 and rule.expect["citizen"] != 302:
        assert response["Location"].startswith(reverse("accounts:login"))


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
