"""Helpers of the analytics tests (plain functions, no tests here): a bulk generator of applications
spread over statuses, partners, regions, categories and cohorts, with their «enrol» history rows,
checked scans, contracts and acts; and the funnel's definition re-stated independently as "the
furthest step each status has reached", for the direct counts."""
import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Region, User
from cohorts.models import Act, Assignment
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationDocument, ApplicationEvent, Citizen
from programs.models import CitizenCategory, TrainingContract
from tests.enrollment.factories import valid_snils
from tests.factories import OrganizationFactory
from tests.programs.factories import CohortFactory, ProgramFactory, TrainingContractFactory

S = Application.Status

# The furthest funnel step (1 = applications … 7 = employed) an application in each status has reached.
REACHED = {
    S.PRIMARY_DOCS_REQUIRED: 1, S.PRIMARY_DOCS_REVIEW: 1, S.PRIMARY_DOCS_REJECTED: 1, S.SERVICE_TERMINATED: 1,
    S.ENROLMENT_DOCS_REQUIRED: 2, S.ENROLMENT_DOCS_REVIEW: 2, S.ENROLMENT_DOCS_REJECTED: 2,
    S.AWAITING_AGREEMENT: 3, S.ENROLMENT_ORDER_REQUIRED: 3,
    S.STUDYING: 4, S.WITHDRAWAL_REVIEW: 4, S.OWN_REQUEST_ORDER_REQUIRED: 4, S.FAILURE_ORDER_REQUIRED: 4,
    S.EXPELLED: 4,
    S.COMPLETION_ORDER_REQUIRED: 5, S.QUALIFICATION_DOC_REQUIRED: 5,
    S.QUALIFICATION_SCAN_REQUIRED: 6, S.AWAITING_EMPLOYMENT: 6,
    S.EMPLOYED: 7,
}
ENROLLED = {status for status, step in REACHED.items() if step >= 4}
RESERVED = {status for status, step in REACHED.items() if step >= 2}
REGIONS = ("70", "54", "42", "22", "77")
BATCH = 5000
_serial = itertools.count()  # unique numbers across calls (e-mails, SNILS, РР numbers)
PRICE = Decimal("45000.00")


def expected_funnel(statuses) -> list[int]:
    """The seven step counts of applications in `statuses`, from REACHED."""
    statuses = list(statuses)
    return [sum(1 for status in statuses if REACHED[status] >= step) for step in range(1, 8)]


def generate(campaign, total: int, *, partners: int = 5, programs_per_partner: int = 2, cohorts_per_program: int = 3):
    """`total` applications with citizens (bulk-inserted in batches of 5,000) spread over partners,
    programs, cohorts (starting in successive months), regions, categories and every status; an
    «enrol» history row for each enrolled one, a checked scan for every fourth, and per partner a
    registered contract and a signed act. Returns the partners."""
    orgs = [OrganizationFactory(short_name=f"Партнёр {i:02d}") for i in range(partners)]
    cohorts = []
    for org in orgs:
        contract = TrainingContractFactory(partner=org, campaign=campaign, status=TrainingContract.Status.REGISTERED,
                                           quota_money=PRICE * total, quota_seats=total)
        for _p in range(programs_per_partner):
            program = ProgramFactory(partner=org, campaign=campaign)
            contract.programs.add(program)
            for c in range(cohorts_per_program):
                start = dt.date(2026, 2 + c, 2)
                cohorts.append(CohortFactory(program=program, start_date=start, end_date=start + dt.timedelta(days=50)))
        make_act(org, contract, cohorts[-1], signed=True)
    regions = [Region.objects.get(code=code) for code in REGIONS]
    categories = list(CitizenCategory.objects.values_list("code", flat=True))
    statuses = itertools.cycle(S.values)
    password = make_password(None)
    now = timezone.now()
    for start in range(0, total, BATCH):
        numbers = [next(_serial) for _ in range(min(BATCH, total - start))]
        users = User.objects.bulk_create([User(email=f"bulk{n}@analytics.test", is_citizen=True, password=password)
                                          for n in numbers], batch_size=BATCH)
        citizens = Citizen.objects.bulk_create([
            Citizen(user=user, last_name="Фамилия", first_name="Имя", birth_date=dt.date(1980, 1, 1),
                    snils=valid_snils(600_000_000 + n), email=user.email)
            for n, user in zip(numbers, users, strict=True)], batch_size=BATCH)
        applications = []
        for n, citizen in zip(numbers, citizens, strict=True):
            cohort = cohorts[n % len(cohorts)]
            applications.append(Application(
                rr_number=f"РР-А-{n:07d}", citizen=citizen, program_id=cohort.program_id,
                partner_id=cohort.program.partner_id, cohort=cohort, region=regions[n % len(regions)],
                category_id=categories[n % len(categories)], submitted_at=now - dt.timedelta(days=60, minutes=n),
                status=next(statuses), contract=None))
        Application.objects.bulk_create(applications, batch_size=BATCH)
        _history(applications)
    for org in orgs:  # quota reserved for every application past the primary documents
        reserved = Application.objects.filter(partner=org, status__in=RESERVED).count()
        TrainingContract.objects.filter(partner=org, campaign=campaign).update(
            reserved_money=PRICE * reserved, reserved_seats=reserved)
    return orgs


def _history(applications):
    ApplicationEvent.objects.bulk_create([
        ApplicationEvent(subject=a, transition="enrol", source=S.ENROLMENT_ORDER_REQUIRED, target=S.STUDYING,
                         created_at=a.submitted_at + dt.timedelta(days=10 + a.pk % 7))
        for a in applications if a.status in ENROLLED], batch_size=BATCH)
    ApplicationDocument.objects.bulk_create([
        ApplicationDocument(application=a, kind=ApplicationDocument.Kind.PASSPORT_MAIN, file="applications/x.pdf",
                            content_type="application/pdf", size=1, sha256="0" * 64, status="approved",
                            uploaded_at=a.submitted_at, checked_at=a.submitted_at + dt.timedelta(hours=a.pk % 48))
        for a in applications[::4]], batch_size=BATCH)


def make_act(partner, contract, cohort, *, signed: bool, amount=PRICE, act_date=None, sequence=1) -> Act:
    assignment = Assignment.objects.get_or_create(cohort=cohort, defaults={
        "partner": partner, "contract": contract, "number": f"З-{cohort.pk}", "assignment_date": cohort.start_date,
        "citizens": 1, "amount": amount, "document": GeneratedDocument.objects.create(kind="assignment", title="З")})[0]
    act = Act.objects.create(cohort=cohort, partner=partner, assignment=assignment, contract=contract,
                             number=f"А-{cohort.pk}-{sequence}", sequence=sequence, amount=amount,
                             document=GeneratedDocument.objects.create(kind="act", title="Акт"))
    if signed:
        Act.objects.filter(pk=act.pk).update(status=Act.Status.SIGNED_BY_BOTH,
                                             act_date=act_date or cohort.end_date + dt.timedelta(days=14))
    return act

