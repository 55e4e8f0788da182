"""Personas shared by every test (Healthchecks style): anonymous, citizen, staff of partners
A and B, an employment-service reviewer for region 70, an operator reviewer."""
import os
import shutil

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.models import Membership, Organization, Region
from tests.factories import (
    CampaignFactory,
    CitizenUserFactory,
    MembershipFactory,
    OrganizationFactory,
    ParticipationFactory,
    UserFactory,
)

PASSWORD = "Qwerty!234x"

# CI sets FLOW_REQUIRE_SERVICES=1: there a missing service is a failure, never a silent skip.
REQUIRE_SERVICES = bool(os.environ.get("FLOW_REQUIRE_SERVICES"))
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason shown, tests whose service this machine lacks (laptop runs)."""
    if REQUIRE_SERVICES:
        return
    missing = {
        "postgres": None if ON_POSTGRES else "needs PostgreSQL: set DATABASE_URL=postgres://…",
        "integration": None if (ON_POSTGRES and os.environ.get("REDIS_URL"))
        else "needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
        "browser": None if os.path.exists(CHROMIUM) else "needs Debian's chromium (apt-get install chromium)",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def operator_org(db):
    return OrganizationFactory(kind=Organization.Kind.OPERATOR, short_name="ТГУ (ФО)")


@pytest.fixture
def partner_a(db, campaign):
    org = OrganizationFactory(short_name="Партнёр А")
    ParticipationFactory(campaign=campaign, partner=org)
    return org


@pytest.fixture
def partner_b(db, campaign):
    org = OrganizationFactory(short_name="Партнёр Б")
    ParticipationFactory(campaign=campaign, partner=org)
    return org


@pytest.fixture
def employment_org(db):
    org = OrganizationFactory(kind=Organization.Kind.EMPLOYMENT_SERVICE, short_name="СЗН Томской области")
    org.regions.add(Region.objects.get(code="70"))
    return org


@pytest.fixture
def staff_a(partner_a):
    return MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a@example.org")).user


@pytest.fixture
def staff_b(partner_b):
    return MembershipFactory(organization=partner_b, user=UserFactory(email="staff.b@example.org")).user


@pytest.fixture
def employment_reviewer(employment_org):
    return MembershipFactory(organization=employment_org, role=Membership.Role.EMPLOYMENT_REVIEWER,
                             user=UserFactory(email="szn@example.org")).user


@pytest.fixture
def operator_reviewer(operator_org):
    user = UserFactory(email="fo@example.org", is_staff=True)
    MembershipFactory(organization=operator_org, role=Membership.Role.OPERATOR_REVIEWER, user=user)
    return user


@pytest.fixture
def citizen(db):
    return CitizenUserFactory(email="citizen@example.org", last_name="Петров", first_name="Пётр")


@pytest.fixture
def personas(citizen, staff_a, staff_b, employment_reviewer, operator_reviewer):
    return {
        "anonymous": AnonymousUser(),
        "citizen": citizen,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "employment_reviewer": employment_reviewer,
        "operator_reviewer": operator_reviewer,
    }


@pytest.fixture(autouse=True)
def _russian_by_default():
    """Each test starts in the interface's default language; a request that switched to English
    must not leak into the next test through the thread's active translation."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Regions and citizen categories come from data migrations; a transactional test's flush
    wipes them, so any database test (re)loads them when they are missing."""
    if request.node.get_closest_marker("django_db") is None and not (
            {"db", "transactional_db"} & set(request.fixturenames)):
        return
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    from accounts.models import Region
    from accounts.regions import REGIONS
    from programs.categories import CATEGORIES
    from programs.models import CitizenCategory

    if not Region.objects.exists():
        Region.objects.bulk_create([Region(code=c, name=n) for c, n in REGIONS], ignore_conflicts=True)
    if not CitizenCategory.objects.exists():
        CitizenCategory.objects.bulk_create(
            [CitizenCategory(code=c, name=n, position=i) for i, (c, n) in enumerate(CATEGORIES)],
            ignore_conflicts=True)
