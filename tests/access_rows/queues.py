"""Access-matrix rows of the work queues' page (core:queue_detail, core.views.queue_detail).

The page answers 403 to anyone a queue does not apply to (its `applies_to`), before reading a row.
"enrollment.primary_check" applies to partner staff (`user.access.is_partner_staff`): both
partners' staff open it (200, each seeing only their own applications: tests/test_queues.py); the
citizen, the employment reviewer and the operator reviewer get 403; an anonymous visitor is sent
to the login page.
"""
from tests.access_rows import row

ROWS = {
    "core:queue_detail": row(302, 403, 200, 200, 403, 403, args=("queue_key",)),
}


def objects(world) -> dict:
    return {"queue_key": "enrollment.primary_check"}
