"""The partner fills in the card while the program is in revision; afterwards the card is
read-only and a POST changes nothing."""
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from programs.models import CitizenCategory, Program
from programs.services.programs import program_update
from tests.programs.factories import ProgramFactory
from tests.programs.test_program_support import in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(partner_a, campaign):
    return ProgramFactory(partner=partner_a, campaign=campaign)


def _form(**overrides):
    data = {"implementation_form": "own", "network_partner_name": "", "rr_direction": "Строительство",
            "rr_profession": "Каменщик", "education_level": "secondary_general", "qualification_level": "3",
            "with_internship": "on", "employer_info": "ООО «Стройка»", "contact_email": "", "contact_phone": "",
            "citizen_categories": ["youth", "age_50_plus"]}
    return {**data, **overrides}


def test_it_saves_the_partners_fields_and_logs_what_changed(client, staff_a, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:edit", args=[program.pk]), _form())
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.rr_profession, program.with_internship, program.resource_intensive) == ("Каменщик", True, False)
    assert set(program.citizen_categories.values_list("code", flat=True)) == {"youth", "age_50_plus"}
    event = program.events.get()
    assert (event.transition, event.actor) == ("update", staff_a)
    assert "профессия на «Работе России»" in event.comment
    assert "категории граждан" in event.comment


def test_status_and_odin_fields_in_the_post_are_ignored(client, staff_a, program):
    client.force_login(staff_a)
    client.post(reverse("programs:edit", args=[program.pk]),
                _form(status="published", title="Подменённое название", academic_hours="1"))
    program.refresh_from_db()
    assert (program.status, program.academic_hours) == (Program.Status.PARTNER_REVISION, 72)
    assert program.title != "Подменённое название"


def test_a_network_program_needs_its_partner(client, staff_a, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:edit", args=[program.pk]), _form(implementation_form="network"))
    assert response.status_code == 200
    assert "network_partner_name" in response.context["form"].errors


def test_after_sending_the_card_is_read_only_and_a_post_changes_nothing(client, staff_a, program):
    in_status(program, Program.Status.OPERATOR_REVIEW)
    client.force_login(staff_a)
    response = client.post(reverse("programs:edit", args=[program.pk]), _form(), follow=True)
    assert "карточку изменить нельзя" in response.content.decode()
    program.refresh_from_db()
    assert program.rr_profession == ""
    assert not program.events.exists()
    assert client.get(reverse("programs:edit", args=[program.pk])).status_code == 302


def test_the_service_refuses_a_read_only_card(staff_a, program):
    in_status(program, Program.Status.PUBLISHED)
    with pytest.raises(Exception, match="Карточку программы можно изменять только"):
        program_update(program=program, actor=staff_a, data={"rr_profession": "Сварщик"})


@pytest.mark.parametrize(("persona", "status"), [("staff_b", 404), ("employment_reviewer", 404),
                                                 ("operator_reviewer", 403), ("citizen", 404)])
def test_only_the_partner_edits(client, personas, program, persona, status):
    client.force_login(personas[persona])
    assert client.post(reverse("programs:edit", args=[program.pk]), _form()).status_code == status
    program.refresh_from_db()
    assert program.rr_profession == ""


def test_the_service_refuses_another_role(operator_reviewer, program):
    with pytest.raises(PermissionDenied):
        program_update(program=program, actor=operator_reviewer,
                       data={"citizen_categories": CitizenCategory.objects.all()})
