"""The cohort page: dates, quota, the citizens who chose it, its availability on РР, the
applications block and its history; only for those who see the program."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import CohortEvent, TrainingContract
from tests.programs.factories import CohortFactory, ProgramFactory, TrainingContractFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(partner_a, campaign):
    today = timezone.localdate()
    program = ProgramFactory(partner=partner_a, campaign=campaign, title="Сварочное производство")
    return CohortFactory(program=program, odin_id="odin-c-1", max_students=None,
                         start_date=today + dt.timedelta(days=60), end_date=today + dt.timedelta(days=90))


def test_it_shows_the_cohort_and_why_it_is_not_offered(client, staff_a, cohort):
    CohortEvent.objects.create(subject=cohort, transition="odin_create", comment="Получен из Odin")
    client.force_login(staff_a)
    response = client.get(reverse("programs:cohort_detail", args=[cohort.pk]))
    body = response.content.decode()
    assert response.context["chosen"] == 0
    assert "Сварочное производство" in body
    assert "odin-c-1" in body
    assert "без ограничений" in body
    assert "Нет договора." in body
    assert "нет договора" in body
    assert "Заявок пока нет" in body
    assert "Получен из Odin" in body


def test_with_a_registered_contract_it_is_open(client, staff_a, partner_a, campaign, cohort):
    contract = TrainingContractFactory(partner=partner_a, campaign=campaign,
                                       valid_until=timezone.localdate() + dt.timedelta(days=365))
    contract.programs.add(cohort.program)
    TrainingContract.objects.filter(pk=contract.pk).update(status="registered")
    client.force_login(staff_a)
    response = client.get(reverse("programs:cohort_detail", args=[cohort.pk]))
    assert response.context["availability"].is_open
    assert "открыт для выбора" in response.content.decode()


@pytest.mark.parametrize(("persona", "status"), [("staff_b", 404), ("employment_reviewer", 404),
                                                 ("citizen", 404), ("operator_reviewer", 200)])
def test_who_sees_the_cohort(client, personas, cohort, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("programs:cohort_detail", args=[cohort.pk])).status_code == status
