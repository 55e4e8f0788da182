"""The applications list's main filters use indexes (PostgreSQL EXPLAIN on 10,000 applications):
partner + status, the cohort filter, the employment reviewer's region, and the global search by
number and by SNILS. No plan reads the whole applications table (no Seq Scan on it)."""
import datetime as dt
import itertools

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Membership, Region, User
from enrollment import selectors
from enrollment.models import Application, Citizen
from tests.enrollment.factories import valid_snils
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.programs.factories import CohortFactory, ProgramFactory

TOTAL = 10_000
PARTNERS = 20
COHORTS_PER_PARTNER = 5
REGIONS = ("70", "54", "42", "22", "24", "38", "55", "77", "78", "50")
SEQ_SCAN = "Seq Scan on enrollment_application"


def _generate(campaign):
    """10,000 citizens (with accounts) and applications spread over partners, cohorts, regions and
    statuses, bulk-inserted, then ANALYZEd so that the planner knows the spread."""
    partners = [OrganizationFactory() for _ in range(PARTNERS)]
    cohorts = []
    for partner in partners:
        program = ProgramFactory(partner=partner, campaign=campaign)
        cohorts += [CohortFactory(program=program) for _ in range(COHORTS_PER_PARTNER)]
    regions = {r.code: r for r in Region.objects.filter(code__in=REGIONS)}
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"bulk{i}@example.org", is_citizen=True, password=password) for i in range(TOTAL)],
        batch_size=2000)
    citizens = Citizen.objects.bulk_create(
        [Citizen(user=user, last_name=f"Фамилия{i % 997}", first_name="Имя", birth_date=dt.date(1980, 1, 1),
                 snils=valid_snils(500_000_000 + i), email=user.email, region=regions["70"])
         for i, user in enumerate(users)], batch_size=2000)
    statuses = itertools.cycle(Application.Status.values)
    now = timezone.now()
    Application.objects.bulk_create([
        Application(rr_number=f"РР-{1_000_000 + i}", citizen=citizen, program=cohort.program,
                    partner_id=cohort.program.partner_id, cohort=cohort, region=regions[REGIONS[i % len(REGIONS)]],
                    submitted_at=now - dt.timedelta(minutes=i), status=next(statuses))
        for i, (citizen, cohort) in enumerate(zip(citizens, itertools.cycle(cohorts), strict=False))],
        batch_size=2000)
    with connection.cursor() as cursor:
        for table in ("enrollment_application", "enrollment_citizen"):
            cursor.execute(f"ANALYZE {table}")
    return partners, cohorts


def _plan(queryset) -> str:
    return queryset.explain()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_main_filters_use_indexes_on_ten_thousand_applications(campaign, operator_reviewer, employment_org):
    partners, cohorts = _generate(campaign)
    assert Application.objects.count() == TOTAL
    staff = MembershipFactory(organization=partners[3], user=UserFactory(email="bulk.staff@example.org")).user
    reviewer = MembershipFactory(organization=employment_org, role=Membership.Role.EMPLOYMENT_REVIEWER,
                                 user=UserFactory(email="bulk.szn@example.org")).user

    def page(user, status="", **filters):
        base = selectors.application_base(user=user, **filters)
        return selectors.application_rows(base, status=status)[:50]

    plans = {
        "partner + status": _plan(page(staff, status=Application.Status.PRIMARY_DOCS_REVIEW)),
        "partner, no filter": _plan(page(staff)),
        "partner counters": _plan(selectors.application_base(user=staff).order_by()
                                  .values_list("status").annotate(n=Count("pk"))),
        "cohort": _plan(page(operator_reviewer, cohort=cohorts[7])),
        "cohort + status": _plan(page(operator_reviewer, cohort=cohorts[7], status=Application.Status.STUDYING)),
        "operator + status": _plan(page(operator_reviewer, status=Application.Status.PRIMARY_DOCS_REVIEW)),
        "region (employment reviewer) + status": _plan(page(reviewer, status=Application.Status.STUDYING)),
        "search by number": _plan(page(operator_reviewer, search="РР-1000123")),
        "search by SNILS": _plan(page(operator_reviewer, search=Citizen.objects.order_by("pk")[123].snils)),
        "column search by number": _plan(page(operator_reviewer, column_search={"number": "РР-100012"})),
        "column search by SNILS": _plan(page(operator_reviewer, column_search={"snils": "5000001"})),
    }
    seq = {name: plan for name, plan in plans.items() if SEQ_SCAN in plan}
    assert not seq, "\n\n".join(f"{name}:\n{plan}" for name, plan in seq.items())
    assert "app_partner_status" in plans["partner + status"]
    assert "enrollment_application_rr_number" in plans["search by number"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_citizen_lookups_of_the_search_use_indexes(campaign):
    _generate(campaign)
    snils = Citizen.objects.filter(snils__startswith="5000001").values_list("pk", flat=True)
    email = Citizen.objects.filter(email__startswith="bulk12").values_list("pk", flat=True)
    for plan in (snils.explain(), email.explain()):
        assert "Seq Scan on enrollment_citizen" not in plan, plan
