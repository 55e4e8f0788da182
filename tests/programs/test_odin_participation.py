"""A partner appears in the campaign with its first Odin program: before it, its staff cannot
be invited; after it, they can (seed 000, «Регистрация»)."""
import pytest
from django.core.exceptions import ValidationError

from accounts.models import CampaignParticipation
from accounts.services import staff_invite
from core.imports import import_data
from programs.services.odin import ProgramFeed
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

HEADER = ("odin_id,partner_inn,campaign_code,national_project,title,short_title,kind,academic_hours,"
          "distance_hours,study_form,min_education_level,qualification\n")


def invite(partner):
    return staff_invite(actor=None, organization=partner, email="new.staff@example.org", last_name="Новикова",
                        first_name="Наталья")


def test_staff_can_be_invited_only_after_the_partners_first_program_arrives(campaign):
    partner = OrganizationFactory(short_name="Новый партнёр")  # no participation yet
    with pytest.raises(ValidationError) as refused:
        invite(partner)
    assert refused.value.code == "no_programs"

    unflagged = HEADER + f"p-0,{partner.inn},amsz-2026,нет,Программа,,ПО,72,0,очная,,\n"
    import_data(unflagged.encode(), ProgramFeed())
    with pytest.raises(ValidationError):
        invite(partner)

    flagged = HEADER + f"p-1,{partner.inn},amsz-2026,да,Программа,,ПО,72,0,очная,,\n"
    assert import_data(flagged.encode(), ProgramFeed()).counts["created"] == 1
    participation = CampaignParticipation.objects.get(partner=partner, campaign=campaign)
    assert participation.first_program_at is not None
    assert participation.events.get().transition == "first_program"
    assert invite(partner).organization == partner


def test_a_dry_run_does_not_make_the_partner_appear(campaign):
    partner = OrganizationFactory()
    flagged = HEADER + f"p-1,{partner.inn},amsz-2026,1,Программа,,ПО,72,0,очная,,\n"
    import_data(flagged.encode(), ProgramFeed(), dry_run=True)
    assert not CampaignParticipation.objects.filter(partner=partner).exists()
