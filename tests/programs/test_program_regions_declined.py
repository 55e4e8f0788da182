"""When every region the operator asked declines, the program is not stuck: the operator decides
again (ask other regions, or return it to the partner), and a region can be asked again."""
import pytest
from django_fsm import can_proceed

from accounts.models import Region
from programs.models import Program, RegionalApproval
from programs.services import programs as services
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def declined_everywhere(partner_a, operator_reviewer, employment_reviewer):
    program = ProgramFactory(partner=partner_a, rr_direction="ИТ", rr_profession="Программист",
                             education_level=Program.EducationLevel.VOCATIONAL)
    Program.objects.filter(pk=program.pk).update(status=Program.Status.OPERATOR_REVIEW)
    services.program_operator_approve(program=program, actor=operator_reviewer,
                                      regions=[Region.objects.get(code="70")])
    approval = RegionalApproval.objects.get(program=program)
    services.regional_approval_decide(approval=approval, actor=employment_reviewer, approve=False,
                                      comment="Нет потребности в регионе")
    return Program.objects.get(pk=program.pk)


def test_the_operator_may_decide_again_once_every_asked_region_declined(declined_everywhere):
    assert declined_everywhere.status == Program.Status.OPERATOR_REVIEW
    assert can_proceed(declined_everywhere.reject)


def test_a_region_asked_again_can_approve_and_the_program_moves_on(declined_everywhere, operator_reviewer,
                                                                    employment_reviewer):
    services.program_operator_approve(program=declined_everywhere, actor=operator_reviewer,
                                      regions=[Region.objects.get(code="70")])
    approval = RegionalApproval.objects.get(program=declined_everywhere)
    assert approval.status == RegionalApproval.Status.PENDING
    services.regional_approval_decide(approval=approval, actor=employment_reviewer, approve=True)
    assert Program.objects.get(pk=declined_everywhere.pk).status == Program.Status.AWAITING_CONTRACT


def test_while_a_region_is_still_deciding_the_operator_cannot_reject(partner_a, operator_reviewer):
    program = ProgramFactory(partner=partner_a)
    Program.objects.filter(pk=program.pk).update(status=Program.Status.OPERATOR_REVIEW)
    services.program_operator_approve(program=program, actor=operator_reviewer,
                                      regions=[Region.objects.get(code="70")])
    assert not can_proceed(Program.objects.get(pk=program.pk).reject)
