"""The cabinet's rules (enrollment.cabinet): step states per status, what completes the primary set,
who may upload what when, and the withdrawal deadline in working days (reference §2.4)."""
import datetime as dt

import pytest
from django.utils import timezone

from enrollment import cabinet as rules
from enrollment.models import Application, ApplicationDocument, Citizen
from tests.enrollment.test_cabinet_support import add_document, citizen_application, primary_set

pytestmark = pytest.mark.django_db

Status = Application.Status
Kind = ApplicationDocument.Kind
DocStatus = ApplicationDocument.Status


def _states(application) -> dict[str, str]:
    steps = rules.cabinet_steps(application, application.citizen, rules.current_documents(application))
    return {step.key: step.state for step in steps}


@pytest.mark.parametrize(("end", "last_day"), [
    (dt.date(2024, 10, 10), dt.date(2024, 10, 6)),   # the reference's example: Thu → the Sunday before Mon 7
    (dt.date(2026, 3, 13), dt.date(2026, 3, 9)),     # Fri → Tue 10, 11, 12 closed
    (dt.date(2026, 5, 12), dt.date(2026, 5, 5)),     # after the May holidays: 6, 7, 8 May are the last working days
])
def test_the_withdrawal_closes_three_working_days_before_the_end(end, last_day):
    assert rules.withdrawal_last_day(end) == last_day


def test_the_withdrawal_is_open_only_in_training_and_until_the_last_day(citizen):
    application = citizen_application(citizen, status=Status.STUDYING, cohort__start_date=dt.date(2024, 9, 1),
                                      cohort__end_date=dt.date(2024, 10, 10))
    assert rules.withdrawal_open(application, dt.date(2024, 10, 6))
    assert not rules.withdrawal_open(application, dt.date(2024, 10, 7))
    Application.objects.filter(pk=application.pk).update(status=Status.WITHDRAWAL_REVIEW)
    application.refresh_from_db()
    assert not rules.withdrawal_open(application, dt.date(2024, 9, 10))


@pytest.mark.parametrize(("status", "expected"), [
    (Status.PRIMARY_DOCS_REQUIRED, {"personal": "todo", "primary_check": "locked", "enrolment": "locked"}),
    (Status.PRIMARY_DOCS_REVIEW, {"personal": "done", "primary_check": "waiting", "enrolment": "locked"}),
    (Status.ENROLMENT_DOCS_REQUIRED, {"primary_check": "done", "enrolment": "todo", "enrolment_check": "locked"}),
    (Status.ENROLMENT_DOCS_REVIEW, {"enrolment": "done", "enrolment_check": "waiting", "agreement": "locked"}),
    (Status.ENROLMENT_DOCS_REJECTED, {"enrolment": "todo", "enrolment_check": "todo"}),
    (Status.AWAITING_AGREEMENT, {"enrolment_check": "done", "agreement": "todo", "originals": "locked"}),
    (Status.STUDYING, {"training": "todo"}),
    (Status.AWAITING_EMPLOYMENT, {"training": "done"}),
])
def test_each_status_opens_its_step(citizen, status, expected):
    application = citizen_application(citizen, status=status)
    states = _states(application)
    assert {key: states[key] for key in expected} == expected
    assert states["notifications"] == "done"


def test_without_notifications_every_later_step_is_locked(citizen):
    states = _states(citizen_application(citizen, notified=False))
    assert states.pop("notifications") == "todo"
    assert set(states.values()) == {"locked"}


def test_a_signed_agreement_shows_done_whatever_the_order(citizen):
    application = citizen_application(citizen, status=Status.ENROLMENT_DOCS_REVIEW, agreement_signed_at=timezone.now())
    assert _states(application)["agreement"] == "done"
    assert _states(application)["originals"] == "locked"


def test_the_primary_set_needs_data_and_every_required_scan(citizen):
    application = citizen_application(citizen)
    person = application.citizen
    primary_set(application)
    assert not rules.primary_docs_complete(person, rules.current_documents(application))  # no data yet

    person.work_status, person.education_level = Citizen.WorkStatus.NONE, Citizen.EducationLevel.HIGHER
    assert rules.primary_docs_complete(person, rules.current_documents(application))

    person.work_status = Citizen.WorkStatus.EMPLOYED  # the labour record becomes required
    assert not rules.primary_docs_complete(person, rules.current_documents(application))
    add_document(application, Kind.LABOUR_RECORD, DocStatus.REJECTED)  # its rejection alone never blocks
    assert rules.primary_docs_complete(person, rules.current_documents(application))

    add_document(application, Kind.SURNAME_CHANGE, DocStatus.REJECTED)  # uploaded, so it counts
    assert not rules.primary_docs_complete(person, rules.current_documents(application))


@pytest.mark.parametrize(("status", "kind", "allowed"), [
    (Status.PRIMARY_DOCS_REQUIRED, Kind.PASSPORT_MAIN, True),
    (Status.PRIMARY_DOCS_REJECTED, Kind.EDUCATION, True),
    (Status.PRIMARY_DOCS_REVIEW, Kind.PASSPORT_MAIN, False),
    (Status.PRIMARY_DOCS_REQUIRED, Kind.ENROLMENT_CONTRACT, False),
    (Status.ENROLMENT_DOCS_REQUIRED, Kind.ENROLMENT_CONTRACT, True),
    (Status.ENROLMENT_DOCS_REQUIRED, Kind.PASSPORT_MAIN, False),
    (Status.STUDYING, Kind.EMPLOYMENT_PROOF, False),
    (Status.AWAITING_EMPLOYMENT, Kind.EMPLOYMENT_PROOF, True),
    (Status.AWAITING_EMPLOYMENT, Kind.ALL_PARTY_CONTRACT, False),
])
def test_the_citizen_uploads_at_the_step_that_collects_the_document(citizen, status, kind, allowed):
    application = citizen_application(citizen, status=status)
    assert rules.citizen_may_upload(application, kind, None) is allowed


def test_an_approved_version_is_final_and_an_inactive_application_read_only(citizen):
    application = citizen_application(citizen)
    approved = add_document(application, Kind.PASSPORT_MAIN, DocStatus.APPROVED)
    assert not rules.citizen_may_upload(application, Kind.PASSPORT_MAIN, approved)
    application.is_active = False
    assert not rules.citizen_may_upload(application, Kind.EDUCATION, None)
