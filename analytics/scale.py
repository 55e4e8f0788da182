"""Scale data for benchmarks and for the analytics tests: applications with their citizens, spread
over partners, programs, cohorts (starting in successive months), regions, categories and statuses,
with their history rows, document scans, training contracts and one signed act per partner.

Big tables (users, citizens, applications, events, documents) are written in batches: on PostgreSQL
through `COPY` (psycopg's `cursor.copy`, several times faster than `bulk_create`), elsewhere through
`bulk_create`. Primary keys are assigned here, so one batch's rows can point at each other without a
round trip, and PostgreSQL's sequences are moved past them at the end. Everything derives from the
seed and the rows already present, so the same command on a fresh database makes the same data.

`manage.py generate_scale_data` is the command line; `tests/analytics/support.py` re-exports
`generate` for the tests (which cycle through every status instead of the realistic mix)."""
import datetime as dt
import itertools
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, Region, User
from cohorts.models import Act, Assignment
from core.validators import snils_control_number
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationDocument, ApplicationEvent, Citizen
from programs.models import CitizenCategory, Cohort, Program, TrainingContract

S = Application.Status
BATCH = 5000
PRICE = Decimal("45000.00")
REGIONS = ("70", "54", "42", "22", "77")
PROGRAMS_PER_PARTNER = 2
EMAIL_DOMAIN = "@scale.test"  # the generated citizens' e-mails; generate_scale_data checks for others

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

# A campaign in its second half, per mille: a quarter still at the primary documents or dropped by
# РР, a quarter studying, a quarter finished and looking for (or in) work.
REALISTIC_MIX = {
    S.PRIMARY_DOCS_REQUIRED: 120, S.PRIMARY_DOCS_REVIEW: 40, S.PRIMARY_DOCS_REJECTED: 30, S.SERVICE_TERMINATED: 60,
    S.ENROLMENT_DOCS_REQUIRED: 60, S.ENROLMENT_DOCS_REVIEW: 20, S.ENROLMENT_DOCS_REJECTED: 10,
    S.AWAITING_AGREEMENT: 30, S.ENROLMENT_ORDER_REQUIRED: 20,
    S.STUDYING: 250, S.WITHDRAWAL_REVIEW: 5, S.OWN_REQUEST_ORDER_REQUIRED: 5, S.FAILURE_ORDER_REQUIRED: 5,
    S.EXPELLED: 35, S.COMPLETION_ORDER_REQUIRED: 20, S.QUALIFICATION_DOC_REQUIRED: 20,
    S.QUALIFICATION_SCAN_REQUIRED: 20, S.AWAITING_EMPLOYMENT: 110, S.EMPLOYED: 140,
}


# The tables `_batch` writes with ids assigned here.
GENERATED = (User, Citizen, Application, ApplicationEvent, ApplicationDocument)


def valid_snils(number: int) -> str:
    body = f"{number:09d}"[-9:]
    return f"{body}{snils_control_number(body):02d}"


def valid_inn(number: int) -> str:
    """A 10-digit organisation INN with a correct control digit (region 71, never a real one here)."""
    body = f"71{number:07d}"[-9:]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return body + str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


def valid_ogrn(number: int) -> str:
    body = f"10271{number:07d}"[-12:]
    return body + str(int(body) % 11 % 10)


# Writing ----------------------------------------------------------------------------------------

def _next_ids(model, count: int) -> list[int]:
    start = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    return list(range(start, start + count))


def _defaults(model) -> dict:
    """Each column's value when a row does not give it: the field's default (auto_now: now), ready
    for the database — computed once per table, not per row."""
    blank = model()
    return {f.attname: f.get_db_prep_save(f.pre_save(blank, True), connection) for f in model._meta.concrete_fields}


def insert(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert `rows` (attribute name → database-ready value, primary key included; other columns
    take their defaults) — `COPY` on PostgreSQL, `bulk_create` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return
    fields = model._meta.concrete_fields
    defaults = _defaults(model)
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] if name in row else defaults[name] for name in names])


def reset_sequences(*model_list) -> None:
    """Move PostgreSQL's id sequences past the ids assigned here."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 1))")


# The reference objects ----------------------------------------------------------------------------

def make_partners(campaign, partners: int, programs_per_partner: int, cohorts_per_program: int, total: int):
    """`partners` organisations with registered contracts, programs and cohorts (bulk-created);
    returns (organisations, cohorts) — cohorts with `program` loaded."""
    region = Region.objects.get(code="70")
    first = (Organization.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    orgs = Organization.objects.bulk_create([
        Organization(kind=Organization.Kind.PARTNER, name=f"Образовательная организация №{first + i}",
                     short_name=f"Партнёр {first + i:04d}", inn=valid_inn(first + i), kpp="701701001",
                     ogrn=valid_ogrn(first + i), legal_address="634050, г. Томск, пр. Ленина, д. 36", region=region)
        for i in range(partners)], batch_size=BATCH)
    if orgs[0].pk is None:  # backends that do not return ids
        orgs = list(Organization.objects.filter(pk__gte=first).order_by("pk"))
    seats = max(total // max(partners, 1), 1) * 2
    contracts = TrainingContract.objects.bulk_create([
        TrainingContract(partner=org, campaign=campaign, status=TrainingContract.Status.REGISTERED,
                         number=f"ДО-{org.pk:05d}", contract_date=dt.date(2026, 2, 1),
                         valid_until=dt.date(2026, 12, 31),
                         quota_money=PRICE * seats, quota_seats=seats) for org in orgs], batch_size=BATCH)
    program_ids = _next_ids(Program, partners * programs_per_partner)
    programs = [Program(pk=pk, campaign=campaign, partner=org, odin_id=f"scale-prog-{pk}",
                        title=f"Программа повышения квалификации №{pk}", short_title=f"Программа {pk}",
                        kind=Program.Kind.DPO_PK, academic_hours=72, distance_hours=36,
                        study_form=Program.StudyForm.PART_TIME)
                for pk, org in zip(program_ids, (o for o in orgs for _ in range(programs_per_partner)), strict=True)]
    Program.objects.bulk_create(programs, batch_size=BATCH)
    through = TrainingContract.programs.through
    by_partner = {c.partner_id: c for c in contracts}
    through.objects.bulk_create([through(trainingcontract_id=by_partner[p.partner_id].pk, program_id=p.pk)
                                 for p in programs], batch_size=BATCH)
    cohort_ids = _next_ids(Cohort, len(programs) * cohorts_per_program)
    cohorts, ids = [], iter(cohort_ids)
    for program in programs:
        for c in range(cohorts_per_program):
            start = dt.date(2026, 2 + c % 10, 2)
            pk = next(ids)
            cohorts.append(Cohort(pk=pk, program=program, odin_id=f"scale-cohort-{pk}", start_date=start,
                                  end_date=start + dt.timedelta(days=50), max_students=25))
    Cohort.objects.bulk_create(cohorts, batch_size=BATCH)
    reset_sequences(Program, Cohort)
    return orgs, contracts, cohorts


def make_act(partner, contract, cohort, *, signed: bool, amount=PRICE, act_date=None, sequence=1) -> Act:
    """An act (with its assignment) for `cohort`; signed by both sides when `signed`."""
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


# The applications ---------------------------------------------------------------------------------

def status_sequence(seed: int, mix: dict | None):
    """Statuses forever: every status in turn (mix None, the tests' funnel covers all of them), or
    drawn from `mix` (weights) with a seeded generator."""
    if mix is None:
        yield from itertools.cycle(S.values)
    rng = random.Random(seed)
    population, weights = [str(status) for status in mix], list(mix.values())  # plain values for COPY
    while True:
        yield from rng.choices(population, weights, k=BATCH)


def generate(campaign, total: int, *, partners: int = 5, programs_per_partner: int = 2, cohorts_per_program: int = 3,
             seed: int = 0, mix: dict | None = None, progress=None) -> list[Organization]:
    """`total` applications with citizens over new partners (see the module docstring); returns the
    partners. `mix` None cycles through every status; REALISTIC_MIX is the benchmarks' mix."""
    with transaction.atomic():
        orgs, contracts, cohorts = make_partners(campaign, partners, programs_per_partner, cohorts_per_program, total)
        last_cohort = {cohort.program.partner_id: cohort for cohort in cohorts}
        for org, contract in zip(orgs, contracts, strict=True):
            make_act(org, contract, last_cohort[org.pk], signed=True)
    regions = list(Region.objects.filter(code__in=REGIONS).order_by("code").values_list("pk", flat=True))
    categories = list(CitizenCategory.objects.order_by("code").values_list("code", flat=True))
    statuses = status_sequence(seed, mix)
    password = make_password(None)
    now = timezone.now()
    offset = Citizen.objects.aggregate(top=Max("pk"))["top"] or 0  # fresh numbers on every call
    for start in range(0, total, BATCH):
        size = min(BATCH, total - start)
        with transaction.atomic():
            _batch(offset + start, size, cohorts, regions, categories, statuses, password, now)
        if progress:
            progress(start + size)
    reset_sequences(*GENERATED)
    for contract in contracts:  # quota reserved for every application past the primary documents
        reserved = Application.objects.filter(partner_id=contract.partner_id, status__in=RESERVED).count()
        TrainingContract.objects.filter(pk=contract.pk).update(reserved_money=PRICE * reserved,
                                                               reserved_seats=reserved)
    if connection.vendor == "postgresql":
        # Statistics for the planner, and (outside a transaction, i.e. not in tests) the visibility
        # map a bulk load leaves empty: production's autovacuum sets it within minutes, and without
        # it an index-only scan reads the table anyway.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (*GENERATED, Organization, Program, Cohort, TrainingContract):
                cursor.execute(f"{command} {model._meta.db_table}")
    return orgs


def _batch(first: int, size: int, cohorts, regions, categories, statuses, password, now) -> None:
    """`size` citizens (users first) and their applications, numbered after `first`."""
    numbers = range(first + 1, first + size + 1)
    user_ids, citizen_ids, application_ids = (_next_ids(model, size) for model in (User, Citizen, Application))
    emails = [f"bulk{n}{EMAIL_DOMAIN}" for n in numbers]
    insert(User, [{"id": pk, "email": email, "is_citizen": True, "password": password, "date_joined": now}
                  for pk, email in zip(user_ids, emails, strict=True)])
    birth = dt.date(1980, 1, 1)
    insert(Citizen, [{"id": pk, "user_id": user_id, "last_name": "Фамилия", "first_name": "Имя", "birth_date": birth,
                      "snils": valid_snils(600_000_000 + n), "email": email, "created_at": now, "updated_at": now}
                     for pk, user_id, n, email in zip(citizen_ids, user_ids, numbers, emails, strict=True)])
    applications = []
    for pk, n, citizen_id in zip(application_ids, numbers, citizen_ids, strict=True):
        cohort = cohorts[n % len(cohorts)]
        applications.append({
            "id": pk, "rr_number": f"РР-А-{n:07d}", "citizen_id": citizen_id, "program_id": cohort.program_id,
            "partner_id": cohort.program.partner_id, "cohort_id": cohort.pk, "region_id": regions[n % len(regions)],
            "category_id": categories[n % len(categories)],
            "submitted_at": now - dt.timedelta(days=60, minutes=n % 50_000),
            "status": next(statuses), "created_at": now, "updated_at": now})
    insert(Application, applications)
    _history(applications)


def _history(applications: Iterable[dict]) -> None:
    """An «enrol» history row for each enrolled application; an approved passport scan (checked
    0–47 hours after upload) for every application past the primary documents and every fourth of
    the others, new (unchecked) for those waiting for review."""
    events, documents = [], []
    for a in applications:
        pk, status, submitted = a["id"], a["status"], a["submitted_at"]
        if status in ENROLLED:
            events.append({"subject_id": pk, "transition": "enrol", "source": S.ENROLMENT_ORDER_REQUIRED.value,
                           "target": S.STUDYING.value, "created_at": submitted + dt.timedelta(days=10 + pk % 7)})
        waiting = status == S.PRIMARY_DOCS_REVIEW
        if waiting or status in RESERVED or pk % 4 == 0:
            documents.append({
                "application_id": pk, "kind": ApplicationDocument.Kind.PASSPORT_MAIN.value,
                "file": "applications/x.pdf", "content_type": "application/pdf", "size": 1, "sha256": "0" * 64,
                "status": "new" if waiting else "approved", "uploaded_at": submitted,
                "checked_at": None if waiting else submitted + dt.timedelta(hours=pk % 48)})
    for model, rows in ((ApplicationEvent, events), (ApplicationDocument, documents)):
        for row, pk in zip(rows, _next_ids(model, len(rows)), strict=True):
            row["id"] = pk
        insert(model, rows)
