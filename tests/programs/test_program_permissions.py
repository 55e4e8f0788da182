"""The page's actions come from the same rules the services check (programs.permissions): per
role and status, exactly the steps the state machine allows."""
import pytest

from programs.models import Program
from programs.permissions import program_actions_for
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db
S = Program.Status


def _actions(user, program):
    approvals = list(program.regional_approvals.all())
    actions = program_actions_for(user, program, approvals)
    names = [name for name in ("can_edit", "can_send", "can_decide", "can_comment") if getattr(actions, name)]
    return names + [m["action"] for m in actions.marks] + (["decide_region"] if actions.decidable_approval_ids else [])


@pytest.mark.parametrize(("status", "partner", "operator"), [
    (S.PARTNER_REVISION, ["can_edit", "can_send", "can_comment"], ["can_comment"]),
    (S.OPERATOR_REVIEW, ["can_comment"], ["can_decide", "can_comment"]),
    (S.OPERATOR_REJECTED, ["can_edit", "can_send", "can_comment"], ["can_comment"]),
    (S.AWAITING_CONTRACT, ["can_comment"], ["can_comment"]),
    (S.READY_TO_SEND, ["can_comment", "mark_sent_to_portal", "close"], ["can_comment"]),
    (S.SENT_TO_PORTAL, ["can_comment", "mark_published", "mark_unpublished"], ["can_comment"]),
    (S.PUBLISHED, ["can_comment", "mark_unpublished", "close"], ["can_comment"]),
    (S.UNPUBLISHED, ["can_comment", "mark_sent_to_portal", "close"], ["can_comment"]),
    (S.CLOSED, ["can_comment"], ["can_comment"]),
])
def test_actions_per_status(staff_a, staff_b, operator_reviewer, partner_a, campaign, status, partner, operator):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), status)
    assert _actions(staff_a, program) == partner
    assert _actions(operator_reviewer, program) == operator
    assert _actions(staff_b, program) == []


def test_after_the_operator_approved_only_the_asked_region_decides(employment_reviewer, operator_reviewer,
                                                                    partner_a, campaign):
    program = in_status(filled_program(partner=partner_a, campaign=campaign), S.OPERATOR_REVIEW)
    asked(program, "70")
    assert _actions(operator_reviewer, program) == ["can_comment"]
    assert _actions(employment_reviewer, program) == ["can_comment", "decide_region"]
