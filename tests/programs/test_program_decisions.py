"""The operator approves (choosing regions) or rejects; each region's employment service decides
for its own region only; the first regional approval moves the program on."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Membership, Organization, Region
from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from programs.models import CostProposal, Program, RegionalApproval, TrainingContract
from programs.services.programs import program_operator_approve, program_reject, regional_approval_decide
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.programs.factories import CostProposalFactory, TrainingContractFactory
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(partner_a, campaign):
    return in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.OPERATOR_REVIEW)


@pytest.fixture
def reviewer_54(db):
    org = OrganizationFactory(kind=Organization.Kind.EMPLOYMENT_SERVICE, short_name="СЗН Новосибирской области")
    org.regions.add(Region.objects.get(code="54"))
    return MembershipFactory(organization=org, role=Membership.Role.EMPLOYMENT_REVIEWER,
                             user=UserFactory(email="szn54@example.org")).user


def _regions(*codes):
    return list(Region.objects.filter(code__in=codes))


# The operator ---------------------------------------------------------------------------------

def test_approving_asks_the_regions_and_keeps_the_program_in_review(
        operator_reviewer, staff_a, employment_reviewer, reviewer_54, program):
    program = program_operator_approve(program=program, actor=operator_reviewer, regions=_regions("70", "54"),
                                       comment="Хорошая программа")
    assert program.status == Program.Status.OPERATOR_REVIEW
    assert (program.operator_approved_by, program.operator_approved_at is not None) == (operator_reviewer, True)
    assert sorted(program.regional_approvals.values_list("region_id", "status")) == [
        ("54", "pending"), ("70", "pending")]
    event = program.events.get()
    assert (event.transition, event.actor) == ("operator_approve", operator_reviewer)
    assert "70 — Томская область" in event.comment
    assert "Хорошая программа" in event.comment
    assert "одобрена федеральным оператором" in OutgoingEmail.objects.get(to=staff_a.email).body_text
    assert "Томская" in OutgoingEmail.objects.get(to=employment_reviewer.email).body_text
    assert "Новосибирская" in OutgoingEmail.objects.get(to=reviewer_54.email).body_text


def test_approving_needs_a_region(operator_reviewer, program):
    with pytest.raises(ValidationError, match="хотя бы один регион"):
        program_operator_approve(program=program, actor=operator_reviewer, regions=[])
    assert not program.regional_approvals.exists()


def test_the_approve_form_refuses_no_regions(client, operator_reviewer, program):
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:approve", args=[program.pk]), {"regions": []})
    assert response.status_code == 200
    assert "regions" in response.context["form"].errors
    program.refresh_from_db()
    assert program.operator_approved_at is None


def test_approving_twice_is_refused(operator_reviewer, program):
    asked(program, "70")
    with pytest.raises(InvalidTransition):
        program_operator_approve(program=program, actor=operator_reviewer, regions=_regions("54"))


def test_rejecting_needs_a_comment_and_tells_the_partner(operator_reviewer, staff_a, program):
    with pytest.raises(ValidationError, match="комментарий обязателен"):
        program_reject(program=program, actor=operator_reviewer, comment="  ")
    program = program_reject(program=program, actor=operator_reviewer, comment="Уточните категории")
    assert program.status == Program.Status.OPERATOR_REJECTED
    event = program.events.get()
    assert (event.transition, event.actor, event.comment) == ("reject", operator_reviewer, "Уточните категории")
    assert "Уточните категории" in OutgoingEmail.objects.get(to=staff_a.email).body_text


def test_rejecting_after_the_approval_is_refused_with_a_message(client, operator_reviewer, program):
    asked(program, "70")
    client.force_login(operator_reviewer)
    response = client.post(reverse("programs:reject", args=[program.pk]), {"comment": "Нет"}, follow=True)
    assert "недоступно в статусе" in response.content.decode()
    program.refresh_from_db()
    assert program.status == Program.Status.OPERATOR_REVIEW


@pytest.mark.parametrize("persona", ["staff_a", "employment_reviewer"])
def test_only_the_operator_decides(personas, program, persona):
    with pytest.raises(PermissionDenied):
        program_operator_approve(program=program, actor=personas[persona], regions=_regions("70"))
    with pytest.raises(PermissionDenied):
        program_reject(program=program, actor=personas[persona], comment="Нет")


# The regions ----------------------------------------------------------------------------------

def test_the_first_regional_approval_moves_the_program_on(employment_reviewer, staff_a, program):
    approval = asked(program, "70")
    approval = regional_approval_decide(approval=approval, actor=employment_reviewer, approve=True, comment="Да")
    assert (approval.status, approval.decided_by, approval.comment) == ("approved", employment_reviewer, "Да")
    program.refresh_from_db()
    assert program.status == Program.Status.AWAITING_CONTRACT
    assert list(program.events.order_by("pk").values_list("transition", "actor")) == [
        ("region_approve", employment_reviewer.pk), ("approve_in_region", employment_reviewer.pk)]
    assert "согласована службой занятости" in OutgoingEmail.objects.get(to=staff_a.email).body_text


def test_a_later_regional_approval_only_records_the_decision(employment_reviewer, reviewer_54, program):
    first, second = asked(program, "54"), asked(program, "70")
    regional_approval_decide(approval=first, actor=reviewer_54, approve=True)
    regional_approval_decide(approval=second, actor=employment_reviewer, approve=True)
    program.refresh_from_db()
    assert program.status == Program.Status.AWAITING_CONTRACT
    assert program.events.filter(transition="approve_in_region").count() == 1


def test_a_decline_needs_a_comment_and_keeps_the_program_in_review(employment_reviewer, program):
    approval = asked(program, "70")
    with pytest.raises(ValidationError, match="комментарий обязателен"):
        regional_approval_decide(approval=approval, actor=employment_reviewer, approve=False)
    approval = regional_approval_decide(approval=approval, actor=employment_reviewer, approve=False,
                                        comment="Нет потребности в регионе")
    assert approval.status == RegionalApproval.Status.DECLINED
    program.refresh_from_db()
    assert program.status == Program.Status.OPERATOR_REVIEW
    assert program.events.get().transition == "region_decline"


def test_a_reviewer_decides_only_for_their_own_region(client, reviewer_54, employment_reviewer, program):
    approval = asked(program, "70")
    with pytest.raises(PermissionDenied):
        regional_approval_decide(approval=approval, actor=reviewer_54, approve=True)
    client.force_login(reviewer_54)  # not asked in 54: may not even see it
    assert client.post(reverse("programs:region_decide", args=[approval.pk]),
                       {"decision": "approve"}).status_code == 404
    approval.refresh_from_db()
    assert approval.status == RegionalApproval.Status.PENDING


def test_deciding_twice_is_refused_with_a_message(client, employment_reviewer, program):
    approval = asked(program, "70", status=RegionalApproval.Status.DECLINED)
    client.force_login(employment_reviewer)
    response = client.post(reverse("programs:region_decide", args=[approval.pk]),
                           {"decision": "approve", "comment": ""}, follow=True)
    assert "недоступно в статусе" in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == RegionalApproval.Status.DECLINED


def test_a_contracted_and_priced_program_goes_straight_to_ready(employment_reviewer, partner_a, campaign, program):
    contract = TrainingContractFactory(partner=partner_a, campaign=campaign)
    contract.programs.add(program)
    proposal = CostProposalFactory(program=program, contract=contract)
    TrainingContract.objects.filter(pk=contract.pk).update(status="registered")
    CostProposal.objects.filter(pk=proposal.pk).update(status="approved")
    regional_approval_decide(approval=asked(program, "70"), actor=employment_reviewer, approve=True)
    program.refresh_from_db()
    assert program.status == Program.Status.READY_TO_SEND
    assert program.events.order_by("-pk").first().transition == "make_ready"
