import pytest

from core.validators import validate_snils
from enrollment.models import Application
from tests.enrollment.factories import ApplicationFactory, valid_snils

pytestmark = pytest.mark.django_db


def test_an_application_belongs_to_its_programs_partner_and_cohort():
    application = ApplicationFactory()
    assert application.partner == application.program.partner
    assert application.cohort.program == application.program
    assert application.status == Application.Status.PRIMARY_DOCS_REQUIRED
    assert application.citizen.user.is_citizen


def test_generated_snils_numbers_are_valid():
    for _ in range(20):
        validate_snils(valid_snils())
