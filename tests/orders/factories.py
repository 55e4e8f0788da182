"""Helpers of the orders tests (plain functions and factories, no tests here): a cohort of a
partner's program with applications in a status, and orders of each kind."""
import datetime as dt

import factory

from accounts.models import CampaignParticipation
from enrollment.models import Application
from orders.models import Order
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import in_status, signatory
from tests.programs.factories import CohortFactory, ProgramFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    cohort = factory.SubFactory(CohortFactory)
    partner = factory.SelfAttribute("cohort.program.partner")
    type = Order.Type.ENROLMENT
    number = factory.Sequence(lambda n: f"П-{n:04d}")
    order_date = factory.SelfAttribute("cohort.start_date")


def cohort_of(partner, campaign, *, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30), **kwargs):
    """A cohort of a new program of `partner` in `campaign`; the partner gets a signatory."""
    if not partner.signatories.exists():
        signatory(partner)
    return CohortFactory(program=ProgramFactory(partner=partner, campaign=campaign), start_date=start, end_date=end,
                         **kwargs)


def applications_in(cohort, status, count=1, **kwargs) -> list[Application]:
    """`count` applications of the cohort put in `status` (set-up only: the FSM field is protected)."""
    return [in_status(ApplicationFactory(program=cohort.program, cohort=cohort, **kwargs), status)
            for _ in range(count)]


def set_mode(cohort, mode) -> CampaignParticipation:
    """The partner's order mode for the cohort's campaign (set-up only, not fixed)."""
    participation, _created = CampaignParticipation.objects.update_or_create(
        campaign=cohort.program.campaign, partner=cohort.program.partner, defaults={"order_mode": mode})
    return participation
