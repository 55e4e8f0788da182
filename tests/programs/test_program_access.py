"""Acceptance 6 (programs): employment-service reviewers see and decide only programs asked for
their region; partner staff never see another partner's programs."""
import pytest
from django.urls import reverse

from programs.models import Program, RegionalApproval
from tests.programs.factories import CohortFactory
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked_in_70(partner_a, campaign):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    asked(program, "70")
    return program


@pytest.fixture
def asked_in_54(partner_a, campaign):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    asked(program, "54")
    return program


def test_the_reviewer_sees_only_programs_asked_in_the_region(client, employment_reviewer, asked_in_70,
                                                             asked_in_54, partner_a, campaign):
    not_asked = filled_program(partner=partner_a, campaign=campaign)
    client.force_login(employment_reviewer)
    assert [p.pk for p in client.get(reverse("programs:list")).context["page"].object_list] == [asked_in_70.pk]
    assert client.get(reverse("programs:detail", args=[asked_in_70.pk])).status_code == 200
    for program in (asked_in_54, not_asked):
        assert client.get(reverse("programs:detail", args=[program.pk])).status_code == 404
        assert client.get(reverse("programs:cohort_detail",
                                  args=[CohortFactory(program=program).pk])).status_code == 404
        assert client.post(reverse("programs:comment", args=[program.pk]), {"text": "?"}).status_code == 404


def test_the_reviewer_decides_only_for_the_region(client, employment_reviewer, asked_in_70, asked_in_54):
    other_region = asked(asked_in_70, "54")
    client.force_login(employment_reviewer)
    # Region 54 of a program asked in 70 too: visible program, but not this reviewer's decision.
    assert client.post(reverse("programs:region_decide", args=[other_region.pk]),
                       {"decision": "approve"}).status_code == 404
    assert client.post(reverse("programs:region_decide", args=[asked_in_54.regional_approvals.get().pk]),
                       {"decision": "approve"}).status_code == 404
    page = client.get(reverse("programs:detail", args=[asked_in_70.pk])).context
    assert [row["can_decide"] for row in page["approval_rows"]] == [False, True]  # 54, then 70
    assert set(RegionalApproval.objects.values_list("status", flat=True)) == {"pending"}


def test_the_reviewer_neither_edits_nor_sends_nor_approves(client, employment_reviewer, asked_in_70):
    client.force_login(employment_reviewer)
    assert client.post(reverse("programs:send", args=[asked_in_70.pk])).status_code == 403
    assert client.post(reverse("programs:approve", args=[asked_in_70.pk]), {"regions": ["70"]}).status_code == 403
    assert client.post(reverse("programs:reject", args=[asked_in_70.pk]), {"comment": "Нет"}).status_code == 403
    assert client.get(reverse("programs:edit", args=[asked_in_70.pk])).status_code == 403


@pytest.mark.parametrize("name", ["detail", "edit", "approve"])
def test_partner_staff_never_see_another_partners_program(client, staff_b, asked_in_70, name):
    client.force_login(staff_b)
    assert client.get(reverse(f"programs:{name}", args=[asked_in_70.pk])).status_code == 404


@pytest.mark.parametrize(("name", "args"), [("send", ()), ("reject", ()), ("comment", ()),
                                            ("mark", ("mark_sent_to_portal",)), ("approve", ())])
def test_partner_staff_cannot_act_on_another_partners_program(client, staff_b, asked_in_70, name, args):
    client.force_login(staff_b)
    assert client.post(reverse(f"programs:{name}", args=[asked_in_70.pk, *args]),
                       {"comment": "x", "text": "x", "regions": ["70"]}).status_code == 404
    assert client.post(reverse("programs:region_decide", args=[asked_in_70.regional_approvals.get().pk]),
                       {"decision": "approve"}).status_code == 404
    asked_in_70.refresh_from_db()
    assert asked_in_70.status == Program.Status.OPERATOR_REVIEW
    assert not asked_in_70.comments.exists()


def test_partner_staff_never_find_another_partners_program_by_search(client, staff_b, asked_in_70):
    client.force_login(staff_b)
    response = client.get(reverse("programs:list"), {"q": asked_in_70.odin_id})
    assert list(response.context["page"].object_list) == []
    assert sum(c["count"] for c in response.context["counts"]) == 0
