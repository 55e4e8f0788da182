"""Personas shared by every test (Healthchecks style): anonymous, citizen, staff of partners
A and B, an employment-service reviewer for region 70, an operator reviewer."""
import pytest
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
