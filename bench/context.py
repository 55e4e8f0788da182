"""The data every figure stands on, built once per run: the campaign, the generated applications
(analytics.scale, the realistic status mix), an operator reviewer and a partner's staff member."""
import time
from dataclasses import dataclass

from bench.harness import Scale

PASSWORD = "Bench!2026flow"


@dataclass
class Context:
    scale: Scale
    campaign: object
    partners: list
    operator: object
    partner_staff: object
    generated_in: float


def build(scale: Scale, reuse: bool = False) -> Context:
    from django.db.models.functions import Concat

    from accounts.models import Campaign, Membership, Organization, User
    from analytics import scale as generator
    from programs.models import Program

    campaign = Campaign.objects.get_or_create(code="amsz-2026", defaults={
        "national_project": Campaign.NationalProject.ACTIVE_EMPLOYMENT, "year": 2026, "title": "АМСЗ 2026",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31"})[0]
    per_program = max(1, -(-scale.cohorts // (scale.partners * generator.PROGRAMS_PER_PARTNER)))
    started = time.perf_counter()
    if reuse and Program.objects.filter(odin_id__startswith="scale-prog-").exists():
        # Development (BENCH_REUSE_DATABASE): the data set of an earlier run or of generate_scale_data.
        partners = list(Organization.objects.filter(programs__odin_id__startswith="scale-prog-").distinct()
                        .order_by("pk"))
    else:
        partners = generator.generate(
            campaign, scale.applications, partners=scale.partners, programs_per_partner=generator.PROGRAMS_PER_PARTNER,
            cohorts_per_program=per_program, seed=0, mix=generator.REALISTIC_MIX,
            progress=lambda done: done % 200_000 or print(f"  generated {done:,}", flush=True))
    generated_in = time.perf_counter() - started
    operator_org = Organization.objects.get_or_create(inn=generator.valid_inn(9_999_999), defaults={
        "kind": Organization.Kind.OPERATOR, "name": "Федеральный оператор", "short_name": "ФО", "kpp": "770101001",
        "ogrn": generator.valid_ogrn(9_999_999), "legal_address": "Москва"})[0]
    User.objects.filter(email__in=["bench-fo@bench.test", "bench-partner@bench.test"]).update(is_active=False,
                                                                                          email=Concat("email", "pk"))
    operator = User.objects.create_user(email="bench-fo@bench.test", password=PASSWORD, is_staff=True,
                                        last_name="Операторов", first_name="Олег")
    Membership.objects.create(organization=operator_org, user=operator, role=Membership.Role.OPERATOR_REVIEWER)
    staff = User.objects.create_user(email="bench-partner@bench.test", password=PASSWORD, last_name="Партнёров",
                                     first_name="Пётр")
    Membership.objects.create(organization=partners[0], user=staff, role=Membership.Role.PARTNER_STAFF)
    return Context(scale, campaign, partners, operator, staff, generated_in)
