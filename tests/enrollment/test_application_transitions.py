"""The application's status machine against the transition table (reference §2.1.1): every pair
(status, transition) in the table may run, and every other pair is refused, both at model level and
through core.fsm.run_transition. The services of this issue drive rows 2–9, 11–13 and 18–19."""
import datetime as dt

import pytest
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from core.fsm import InvalidTransition, run_transition
from enrollment.models import Application
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import in_status

pytestmark = pytest.mark.django_db
S = Application.Status

# (transition, sources, target): rows of reference §2.1.1, as the model names them.
TABLE = [
    ("submit_primary_docs", [S.PRIMARY_DOCS_REQUIRED, S.PRIMARY_DOCS_REJECTED], S.PRIMARY_DOCS_REVIEW),  # 2, 4
    ("reject_primary_docs", [S.PRIMARY_DOCS_REVIEW], S.PRIMARY_DOCS_REJECTED),  # 3
    ("approve_primary_docs", [S.PRIMARY_DOCS_REVIEW], S.ENROLMENT_DOCS_REQUIRED),  # 5
    ("submit_enrolment_docs", [S.ENROLMENT_DOCS_REQUIRED, S.ENROLMENT_DOCS_REJECTED], S.ENROLMENT_DOCS_REVIEW),  # 6, 8
    ("reject_enrolment_docs", [S.ENROLMENT_DOCS_REVIEW], S.ENROLMENT_DOCS_REJECTED),  # 7
    ("approve_enrolment_docs", [S.ENROLMENT_DOCS_REVIEW], S.AWAITING_AGREEMENT),  # 9, agreement not signed
    ("approve_enrolment_docs_signed", [S.ENROLMENT_DOCS_REVIEW], S.ENROLMENT_ORDER_REQUIRED),  # 9, signed
    ("sign_agreement", [S.AWAITING_AGREEMENT], S.ENROLMENT_ORDER_REQUIRED),  # 9
    ("enrol", [S.ENROLMENT_ORDER_REQUIRED], S.STUDYING),  # 10
    ("request_withdrawal", [S.STUDYING], S.WITHDRAWAL_REVIEW),  # 11
    ("reject_withdrawal", [S.WITHDRAWAL_REVIEW, S.OWN_REQUEST_ORDER_REQUIRED], S.STUDYING),  # 12
    ("approve_withdrawal", [S.WITHDRAWAL_REVIEW], S.OWN_REQUEST_ORDER_REQUIRED),  # 13
    ("record_failure", [S.STUDYING], S.FAILURE_ORDER_REQUIRED),  # 14
    ("record_completion", [S.STUDYING], S.COMPLETION_ORDER_REQUIRED),  # 15
    ("expel", [S.OWN_REQUEST_ORDER_REQUIRED, S.FAILURE_ORDER_REQUIRED], S.EXPELLED),  # 16
    ("complete", [S.COMPLETION_ORDER_REQUIRED], S.QUALIFICATION_DOC_REQUIRED),  # 17
    ("enter_qualification_data", [S.QUALIFICATION_DOC_REQUIRED], S.QUALIFICATION_SCAN_REQUIRED),  # 18
    ("enter_qualification_scan", [S.QUALIFICATION_DOC_REQUIRED, S.QUALIFICATION_SCAN_REQUIRED],
     S.AWAITING_EMPLOYMENT),  # 19
    ("employ", [S.AWAITING_EMPLOYMENT], S.EMPLOYED),  # 20
    ("terminate_service", list(Application.PRE_FINAL), S.SERVICE_TERMINATED),  # 21
]
ARGS = {"expel": {"reason": "failure", "on": dt.date(2026, 6, 1)}, "complete": {"on": dt.date(2026, 6, 1)},
        "employ": {"when": dt.datetime(2026, 6, 1, tzinfo=dt.UTC)},
        "terminate_service": {"when": dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "reason": "Отозвана на РР"}}
ALLOWED = {(name, source): target for name, sources, target in TABLE for source in sources}
NAMES = sorted({name for name, _sources, _target in TABLE})


def _application(status, signed=False):
    application = ApplicationFactory(agreement_signed_at=timezone.now() if signed else None)
    return in_status(application, status)


def _signed_for(name: str) -> bool:
    return name == "approve_enrolment_docs_signed"


def test_the_table_names_every_transition_of_the_model():
    model = {t.name for t in Application._meta.get_field("status").get_all_transitions(Application)}
    assert model == set(NAMES)


@pytest.mark.parametrize(("name", "source"), sorted(ALLOWED))
def test_each_transition_of_the_table_runs_and_writes_history(name, source, staff_a):
    application = _application(source, signed=_signed_for(name))
    moved = run_transition(application, name, actor=staff_a, comment="проверка", **ARGS.get(name, {}))
    assert moved.status == ALLOWED[(name, source)]
    event = moved.events.get()
    assert (event.transition, event.source, event.target, event.actor) == (name, source, moved.status, staff_a)


@pytest.mark.parametrize("name", NAMES)
def test_every_other_source_is_refused(name):
    for source in S.values:
        if (name, source) in ALLOWED:
            continue
        application = _application(source, signed=_signed_for(name))
        assert not can_proceed(getattr(application, name)), (name, source)
        with pytest.raises(TransitionNotAllowed):
            getattr(application, name)(**ARGS.get(name, {}))
        with pytest.raises(InvalidTransition):
            run_transition(application, name, actor=None, **ARGS.get(name, {}))
        application.refresh_from_db()
        assert application.status == source


@pytest.mark.parametrize(("name", "signed"), [("approve_enrolment_docs", True),
                                              ("approve_enrolment_docs_signed", False)])
def test_the_enrolment_approval_follows_the_intention_agreement(name, signed):
    application = _application(S.ENROLMENT_DOCS_REVIEW, signed=signed)
    assert not can_proceed(getattr(application, name))


def test_final_statuses_have_no_way_out():
    for status in Application.FINAL:
        application = _application(status)
        assert not list(application.get_available_status_transitions())
