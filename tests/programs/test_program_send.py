"""The partner sends a complete card for approval; the operator's reviewers are told."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import OutgoingEmail
from programs.models import Program
from programs.services.programs import program_send_for_approval
from tests.programs.factories import ProgramFactory
from tests.programs.test_program_support import filled_program, in_status

pytestmark = pytest.mark.django_db


def test_it_lists_what_is_missing_and_changes_nothing(client, staff_a, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign, rr_direction="ИТ")
    client.force_login(staff_a)
    response = client.post(reverse("programs:send", args=[program.pk]), follow=True)
    text = response.content.decode()
    assert "Заполните перед отправкой на согласование" in text
    assert "профессия на «Работе России»" in text
    assert "категории граждан" in text
    assert "направление на «Работе России»" not in text.split("Заполните перед отправкой")[1].split("</p>")[0]
    program.refresh_from_db()
    assert program.status == Program.Status.PARTNER_REVISION
    assert not program.events.exists()


def test_it_sends_a_complete_card_and_tells_the_operator(staff_a, operator_reviewer, partner_a, campaign):
    program = filled_program(partner=partner_a, campaign=campaign)
    program = program_send_for_approval(program=program, actor=staff_a, comment="Готово")
    assert program.status == Program.Status.OPERATOR_REVIEW
    event = program.events.get()
    assert (event.transition, event.actor, event.comment) == ("send_for_approval", staff_a, "Готово")
    email = OutgoingEmail.objects.get(to=operator_reviewer.email)
    assert "ждёт одобрения" in email.subject
    assert f"/programs/{program.pk}/" in email.body_text
    assert "Готово" in email.body_text


def test_a_network_program_without_its_partner_is_incomplete(staff_a, partner_a, campaign):
    program = filled_program(partner=partner_a, campaign=campaign, implementation_form="network")
    with pytest.raises(ValidationError, match="сетевой партнёр"):
        program_send_for_approval(program=program, actor=staff_a)


def test_the_organisation_contacts_count_as_filled(staff_a, partner_a, campaign):
    partner_a.contact_email, partner_a.contact_phone = "info@a.example.org", "+7 000"
    partner_a.save()
    program = filled_program(partner=partner_a, campaign=campaign, contact_email="", contact_phone="")
    assert program_send_for_approval(program=program, actor=staff_a).status == Program.Status.OPERATOR_REVIEW


def test_sending_twice_is_refused_with_a_message(client, staff_a, partner_a, campaign):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    client.force_login(staff_a)
    response = client.post(reverse("programs:send", args=[program.pk]), follow=True)
    assert "недоступно в статусе" in response.content.decode()
    assert not program.events.exists()


@pytest.mark.parametrize(("persona", "status"), [("operator_reviewer", 403), ("staff_b", 404)])
def test_only_the_partner_sends(client, personas, partner_a, campaign, persona, status):
    program = filled_program(partner=partner_a, campaign=campaign)
    client.force_login(personas[persona])
    assert client.post(reverse("programs:send", args=[program.pk])).status_code == status
    program.refresh_from_db()
    assert program.status == Program.Status.PARTNER_REVISION


def test_the_service_refuses_the_operator(operator_reviewer, partner_a, campaign):
    with pytest.raises(PermissionDenied):
        program_send_for_approval(program=filled_program(partner=partner_a, campaign=campaign), actor=operator_reviewer)
