"""The thread: partner, operator and the asked regions' reviewers write to each other; the
other side is told by e-mail."""
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.models import OutgoingEmail
from programs.models import Program, ProgramComment
from programs.services.programs import program_comment_add
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(partner_a, campaign):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    asked(program, "70")
    return program


def _recipients():
    return set(OutgoingEmail.objects.values_list("to", flat=True))


def test_a_partners_comment_goes_to_the_operator_and_the_asked_regions(client, staff_a, operator_reviewer,
                                                                        employment_reviewer, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:comment", args=[program.pk]), {"text": "Когда решение?"}, follow=True)
    assert "Когда решение?" in response.content.decode()
    comment = ProgramComment.objects.get()
    assert (comment.author, comment.program) == (staff_a, program)
    assert _recipients() == {operator_reviewer.email, employment_reviewer.email}
    assert "Когда решение?" in OutgoingEmail.objects.filter(to=operator_reviewer.email).get().body_text


def test_an_operators_comment_goes_to_the_partner(staff_a, operator_reviewer, program):
    program_comment_add(program=program, actor=operator_reviewer, text="Добавьте стажировку")
    assert _recipients() == {staff_a.email}


def test_a_regional_reviewers_comment_goes_to_the_partner_and_the_operator(staff_a, operator_reviewer,
                                                                          employment_reviewer, program):
    program_comment_add(program=program, actor=employment_reviewer, text="Уточните адрес")
    assert _recipients() == {staff_a.email, operator_reviewer.email}


def test_an_empty_comment_is_refused_with_a_message(client, staff_a, program):
    client.force_login(staff_a)
    response = client.post(reverse("programs:comment", args=[program.pk]), {"text": "   "}, follow=True)
    assert "Напишите текст комментария" in response.content.decode()
    assert not ProgramComment.objects.exists()


def test_a_reviewer_of_a_region_not_asked_cannot_comment(employment_reviewer, partner_a, campaign):
    program = filled_program(partner=partner_a, campaign=campaign)
    with pytest.raises(PermissionDenied):
        program_comment_add(program=program, actor=employment_reviewer, text="?")


@pytest.mark.parametrize(("persona", "status"), [("staff_b", 404), ("citizen", 404)])
def test_outsiders_cannot_comment(client, personas, program, persona, status):
    client.force_login(personas[persona])
    assert client.post(reverse("programs:comment", args=[program.pk]), {"text": "?"}).status_code == status
    assert not ProgramComment.objects.exists()
