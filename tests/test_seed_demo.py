import io

import pytest
from django.core.management import call_command

from accounts.models import CampaignParticipation, Membership, User
from core.models import OutgoingEmail
from enrollment.models import Application
from programs.models import Cohort, Program

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_every_layer_once_however_often_it_runs():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Membership.objects.count(), Program.objects.count(), Cohort.objects.count(),
              Application.objects.count(), OutgoingEmail.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Membership.objects.count(), Program.objects.count(), Cohort.objects.count(),
            Application.objects.count(), OutgoingEmail.objects.count()) == counts
    assert counts[2:5] == (7, 12, 12)
    assert not CampaignParticipation.objects.filter(first_program_at__isnull=True).exists()
    for login in ("fo@demo.flow", "szn70@demo.flow", "partner-a1@demo.flow", "citizen@demo.flow"):
        assert login in out.getvalue()
