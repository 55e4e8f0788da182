"""Factories of the enrollment app (shared by its test modules)."""
import datetime as dt
import itertools

import factory
from django.utils import timezone

from accounts.models import Region
from core.validators import snils_control_number
from enrollment.models import Application, ApplicationDocument, Citizen
from tests.factories import CitizenUserFactory
from tests.programs.factories import CohortFactory, ProgramFactory

_snils = itertools.count(200_000_001)


def valid_snils(seed: int | None = None) -> str:
    """An 11-digit SNILS with a correct control number."""
    body = f"{seed if seed is not None else next(_snils):09d}"[-9:]
    return f"{body}{snils_control_number(body):02d}"


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    user = factory.SubFactory(CitizenUserFactory, email=factory.SelfAttribute("..email"))
    email = factory.Sequence(lambda n: f"citizen{n}@example.org")
    last_name = "Петров"
    first_name = factory.Sequence(lambda n: f"Пётр{n}")
    middle_name = "Петрович"
    birth_date = dt.date(1985, 5, 17)
    snils = factory.LazyFunction(valid_snils)
    region = factory.LazyFunction(lambda: Region.objects.get(code="70"))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    rr_number = factory.Sequence(lambda n: f"РР-2026-{n:06d}")
    citizen = factory.SubFactory(CitizenFactory)
    program = factory.SubFactory(ProgramFactory)
    partner = factory.SelfAttribute("program.partner")
    cohort = factory.SubFactory(CohortFactory, program=factory.SelfAttribute("..program"))
    region = factory.LazyFunction(lambda: Region.objects.get(code="70"))
    submitted_at = factory.LazyFunction(timezone.now)


class ApplicationDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationDocument

    application = factory.SubFactory(ApplicationFactory)
    kind = ApplicationDocument.Kind.PASSPORT_MAIN
    file = factory.django.FileField(filename="scan.pdf", data=b"%PDF-1.4\n%%EOF\n")
    content_type = "application/pdf"
    size = 15
    sha256 = "0" * 64
