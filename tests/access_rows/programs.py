"""Access-matrix rows of the program workflow and cohort pages (programs/program_urls.py).

Objects: program_a — partner A's program in operator review, approved by the operator and asked
in region 70 (the employment reviewer's); program_review — partner A's program in review, not yet
decided and asked nowhere; program_draft — partner A's filled-in card in revision; approval_a — the
region-70 decision of program_a; cohort_a — a cohort of program_a. Partner B's staff never see
partner A's programs (404); the reviewer sees only programs asked in region 70.
"""
from tests.access_rows import FORM, row

ROWS = {
    "programs:list": row(302, 403, 200, 200, 200, 200),
    "programs:detail": row(302, 404, 200, 404, 200, 200, args=("program_a",)),
    "programs:edit": row(302, 404, 200, 404, 404, 403, args=("program_draft",), methods=FORM),
    "programs:send": row(302, 404, 302, 404, 404, 403, args=("program_draft",), method="post"),
    "programs:approve": row(302, 404, 403, 404, 404, 302, args=("program_review",), method="post",
                            data={"regions": ["70"]}),
    "programs:reject": row(302, 404, 403, 404, 404, 302, args=("program_review",), method="post",
                           data={"comment": "Уточните профессию"}),
    "programs:region_decide": row(302, 404, 403, 404, 302, 403, args=("approval_a",), method="post",
                                  data={"decision": "approve"}),
    "programs:mark": row(302, 404, 302, 404, 403, 403, args=("program_a", "mark_action"), method="post"),
    "programs:comment": row(302, 404, 302, 404, 302, 302, args=("program_a",), method="post",
                            data={"text": "Вопрос по программе"}),
    "programs:cohort_detail": row(302, 404, 200, 404, 200, 200, args=("cohort_a",)),
}


def objects(world) -> dict:
    from programs.models import Program
    from tests.programs.factories import CohortFactory
    from tests.programs.test_program_support import asked, filled_program, in_status

    partner, campaign = world["partner_a"], world["campaign"]
    program_a = in_status(filled_program(partner=partner, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    approval_a = asked(program_a, "70")
    program_review = in_status(filled_program(partner=partner, campaign=campaign), Program.Status.OPERATOR_REVIEW)
    return {
        "program_a": program_a, "approval_a": approval_a, "program_review": program_review,
        "program_draft": filled_program(partner=partner, campaign=campaign),
        "cohort_a": CohortFactory(program=program_a),
        "mark_action": "mark_sent_to_portal",
    }
