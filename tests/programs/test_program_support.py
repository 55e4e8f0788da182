"""Helpers shared by the program tests (plain functions, no tests here): a program the partner has
filled in completely, regions asked, and a stand-in for the Odin service where a test needs one."""
from accounts.models import Region
from programs.models import CitizenCategory, Program, RegionalApproval
from tests.programs.factories import ProgramFactory

FILLED = {
    "rr_direction": "Информационные технологии",
    "rr_profession": "Программист",
    "education_level": Program.EducationLevel.VOCATIONAL_OR_HIGHER,
    "qualification_level": "4",
    "contact_email": "programs@partner.example.org",
    "contact_phone": "+7 3822 000000",
}


def filled_program(**kwargs) -> Program:
    """A program whose card is complete: it may be sent for approval."""
    program = ProgramFactory(**{**FILLED, **kwargs})
    program.citizen_categories.add(*CitizenCategory.objects.all()[:2])
    return program


def in_status(program: Program, status: str) -> Program:
    """Put a program in `status` directly (test set-up only: the FSM field is protected)."""
    Program.objects.filter(pk=program.pk).update(status=status)
    program.refresh_from_db()
    return program


def asked(program: Program, code: str = "70", status: str = RegionalApproval.Status.PENDING) -> RegionalApproval:
    """The operator approved `program` and asked region `code` (set-up without the service)."""
    from django.utils import timezone

    Program.objects.filter(pk=program.pk).update(operator_approved_at=timezone.now())
    approval = RegionalApproval.objects.create(program=program, region=Region.objects.get(code=code))
    RegionalApproval.objects.filter(pk=approval.pk).update(status=status)
    approval.refresh_from_db()
    program.refresh_from_db()
    return approval
