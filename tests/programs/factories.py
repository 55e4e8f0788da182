"""Factories of the programs app (shared by its test modules)."""
import datetime as dt
from decimal import Decimal

import factory

from programs.models import Cohort, CostProposal, Program, TrainingContract
from tests.factories import CampaignFactory, OrganizationFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    campaign = factory.SubFactory(CampaignFactory)
    partner = factory.SubFactory(OrganizationFactory)
    odin_id = factory.Sequence(lambda n: f"odin-prog-{n}")
    title = factory.Sequence(lambda n: f"Программа повышения квалификации №{n}")
    short_title = factory.Sequence(lambda n: f"Программа {n}")
    kind = Program.Kind.DPO_PK
    academic_hours = 72
    distance_hours = 36
    study_form = Program.StudyForm.PART_TIME


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    odin_id = factory.Sequence(lambda n: f"odin-cohort-{n}")
    start_date = dt.date(2026, 3, 2)
    end_date = dt.date(2026, 4, 30)
    max_students = 25


class TrainingContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingContract

    campaign = factory.SubFactory(CampaignFactory)
    partner = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: f"ДО-{n:04d}")
    contract_date = dt.date(2026, 2, 1)
    valid_until = dt.date(2026, 12, 31)
    quota_money = Decimal("1000000.00")
    quota_seats = 20


class CostProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostProposal

    program = factory.SubFactory(ProgramFactory)
    contract = factory.SubFactory(TrainingContractFactory)
    valid_from = dt.date(2026, 2, 1)
    price = Decimal("45000.00")
    need_justification = "Потребность региона в специалистах подтверждена письмами работодателей."
    analogues = factory.LazyFunction(lambda: [
        {"title": f"Аналог {i}", "organization": f"Организация {i}", "url": f"https://example.org/{i}",
         "price": "47000"} for i in range(1, 4)])
    calculation_file = factory.django.FileField(filename="calc.pdf", data=b"%PDF-1.4\n%%EOF\n")
