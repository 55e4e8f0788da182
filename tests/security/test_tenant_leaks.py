"""ACL-05 / EXP-02: lists, counts, search, filter choices and exports never reveal another tenant's
rows. Partner B gets a citizen with a unique surname, SNILS and e-mail, a program with a unique
title and a staff member with the same surname; partner A's staff then open every list page of the
access matrix (every GET row without object arguments that they may open), plain and searched for
each unique value under every search parameter the pages use, and run every registered export:
none of the values appears in any page or file, and every total (a page's paginator count, an
export's row count) is what it was before partner B's data existed — A's own.

The pages come from the access matrix, so a new list page is covered as soon as it has its row.
"""
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.urls import reverse

from accounts.models import Membership
from core import exports
from core.models import ExportJob
from enrollment.models import Application
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.factories import MembershipFactory, UserFactory
from tests.orders.factories import OrderFactory, applications_in, cohort_of
from tests.programs.factories import CohortFactory, ProgramFactory
from tests.test_access_matrix import MATRIX

pytestmark = pytest.mark.django_db

SURNAME = "Зюзюкина-Оболенская"
PROGRAM = "Уникумоведение прикладное"
EMAIL = "zyuzyukina.b@secret-tenant.example"
SNILS = valid_snils(987654)
SECRETS = (SURNAME, PROGRAM, EMAIL, SNILS, f"{SNILS[:3]}-{SNILS[3:6]}-{SNILS[6:9]} {SNILS[9:]}")
# The search parameters Flow's list pages read (filter forms): each carries each secret.
SEARCH_PARAMS = ("q", "search", "surname", "name", "citizen", "program", "email", "snils")

# The page echoing the visitor's own search (the search box, links keeping the filters) is no leak.
ECHOES = re.compile(r'(?:\?|&amp;|&)(?:{})=[^&"\s<]*'.format("|".join(SEARCH_PARAMS)))

LIST_PAGES = sorted(name for name, rule in MATRIX.items()
                    if not rule.args and rule.method == "get" and rule.expect["staff_a"] == 200)


def _seed_partner_a(partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign, title="Программа партнёра А")
    cohort = CohortFactory(program=program)
    for _ in range(2):
        ApplicationFactory(program=program, cohort=cohort, citizen=CitizenFactory(last_name="Алексеев"))
    OrderFactory(cohort=cohort_of(partner_a, campaign))


def _seed_partner_b(partner_b, campaign):
    program = ProgramFactory(partner=partner_b, campaign=campaign, title=PROGRAM, short_title=PROGRAM)
    cohort = CohortFactory(program=program)
    citizen = CitizenFactory(last_name=SURNAME, email=EMAIL, snils=SNILS)
    ApplicationFactory(program=program, cohort=cohort, citizen=citizen)
    b_cohort = cohort_of(partner_b, campaign)
    applications_in(b_cohort, Application.Status.STUDYING, citizen=CitizenFactory(last_name=SURNAME))
    OrderFactory(cohort=b_cohort)
    MembershipFactory(organization=partner_b, role=Membership.Role.PARTNER_STAFF,
                      user=UserFactory(email="second.b@secret-tenant.example", last_name=SURNAME))


def _without_echoes(body: str, query: dict) -> str:
    body = ECHOES.sub("", body)
    for value in set(query.values()):
        body = body.replace(f'value="{value}"', "").replace(f"«{value}»", "")
    return body


def _page_counts(response) -> dict[str, int]:
    """Every paginated total a page renders."""
    counts = {}
    for context in response.context or []:
        for key, value in context.flatten().items():
            if isinstance(value, Page):
                counts[key] = value.paginator.count
    return counts


def _visit(client, name: str, query: dict | None = None):
    response = client.get(reverse(name), query or {})
    assert response.status_code == 200, f"{name} {query}"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode("utf-8", "replace")


def _export_all(user, params) -> dict[str, tuple[int, str]]:
    """Each registered export as `user`: (rows, file text); a refused export is left out."""
    exports.get_export("accounts.staff")  # autodiscover the apps' exports
    result = {}
    for kind in sorted(exports._registry):
        try:
            job = exports.export_start(user=user, kind=kind, params=params, format="csv")
        except PermissionDenied:
            continue
        exports.export_build(job_id=job.pk)
        job = ExportJob.objects.get(pk=job.pk)
        assert job.status == ExportJob.Status.READY, f"{kind}: {job.error}"
        with job.file.open("rb") as fh:
            result[kind] = (job.done_rows, fh.read().decode("utf-8-sig"))
        ExportJob.objects.filter(pk=job.pk).delete()  # stay under the per-user limit
    return result


def test_the_list_pages_are_found():
    """The sweep below covers the main lists (guards against an empty parametrisation)."""
    assert {"enrollment:application_list", "orders:order_list", "programs:list",
            "accounts:staff_list", "analytics:overview"} <= set(LIST_PAGES)


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_list_page_never_shows_partner_b(client, staff_a, partner_a, partner_b, campaign, name):
    _seed_partner_a(partner_a, campaign)
    client.force_login(staff_a)
    queries = [{}] + [{param: secret for param in SEARCH_PARAMS} for secret in SECRETS]
    before = [_page_counts(_visit(client, name, query)[0]) for query in queries]

    _seed_partner_b(partner_b, campaign)
    for query, counts in zip(queries, before, strict=True):
        response, body = _visit(client, name, query)
        body = _without_echoes(body, query)
        for secret in SECRETS:
            assert secret not in body, f"{name} {query} shows partner B's {secret!r}"
        assert _page_counts(response) == counts, f"{name} {query}: totals changed with partner B's rows"


def test_the_search_finds_own_rows(client, staff_a, partner_a, partner_b, campaign):
    """The leak sweep searches for real: the same search as partner B's staff finds B's citizens,
    and the totals it compares are the lists' own."""
    _seed_partner_a(partner_a, campaign)
    _seed_partner_b(partner_b, campaign)
    staff_b = Membership.objects.filter(organization=partner_b).first().user
    client.force_login(staff_b)
    response, body = _visit(client, "enrollment:application_list", {"q": SURNAME})
    assert SURNAME in body
    assert _page_counts(response)["page"] == 2
    client.force_login(staff_a)
    assert _page_counts(_visit(client, "enrollment:application_list")[0])["page"] == 2  # A's own two


def test_every_export_leaves_partner_b_out(staff_a, partner_a, partner_b, campaign):
    _seed_partner_a(partner_a, campaign)
    queries = [{}, {param: SURNAME for param in SEARCH_PARAMS}]
    before = [_export_all(staff_a, query) for query in queries]
    assert "enrollment.applications" in before[0]

    _seed_partner_b(partner_b, campaign)
    for query, rows_before in zip(queries, before, strict=True):
        after = _export_all(staff_a, query)
        assert after.keys() == rows_before.keys()
        for kind, (rows, text) in after.items():
            for secret in SECRETS:
                assert secret not in text, f"export {kind} {query} carries partner B's {secret!r}"
            assert rows == rows_before[kind][0], f"export {kind} {query}: row count changed with partner B"
    applications, _text = before[0]["enrollment.applications"]
    assert applications == Application.objects.filter(partner=partner_a).count()


def _guardian_rows() -> int:
    """Rows in every guardian table: the generic ones and any direct-foreign-key subclass."""
    from django.apps import apps
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    return sum(model._default_manager.count() for model in apps.get_models()
               if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase))


def test_importing_citizens_and_applications_creates_no_guardian_rows(staff_a):
    """ACL-12: isolation comes from the organisation foreign keys and queryset scoping; creating a
    citizen or an application (through the РР feed, the way they are created) grants nothing."""
    from enrollment.services.feed import ApplicationFeed, rr_import

    program = ProgramFactory(odin_id="p-guardian")
    CohortFactory(program=program, odin_id="c-guardian")
    rows = [f"РР-2026-9{n:05d},2026-02-10T12:00:00+07:00,Гвардейцев,Иван,Иванович,1985-05-17,"
            f"{valid_snils(555000 + n)},g{n}@example.org,+7 913 555-00-00,70,p-guardian,c-guardian,unemployed"
            for n in range(3)]
    data = ("\n".join([",".join(ApplicationFeed.columns), *rows]) + "\n").encode()
    before = _guardian_rows()
    result = rr_import(kind="applications", source=data)
    assert Application.objects.filter(program=program).count() == 3, result
    assert _guardian_rows() == before == 0
    visible = Application.objects.visible_to(staff_a).filter(program=program)
    assert not visible.exists()  # partner A's staff see none of another partner's new rows
