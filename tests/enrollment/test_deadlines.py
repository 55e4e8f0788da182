"""Deadlines of the enrolment documents in working days (reference §3.4, 2025–2026), the overdue
mark and the reminders: each beat is idempotent."""
import datetime as dt

import pytest

from core.models import OutgoingEmail, WorkingDayOverride
from enrollment.models import Application, ApplicationDocument
from enrollment.selectors import overdue_for
from enrollment.services.deadlines import (
    check_deadline,
    check_reminders_send,
    documents_mark_overdue,
    upload_deadline,
    upload_reminders_send,
)
from tests.enrollment.test_application_support import application_for, contracted_program, document, primary_set
from tests.programs.factories import CohortFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
DocStatus = ApplicationDocument.Status
D = dt.date


@pytest.mark.parametrize(("start", "upload", "check"), [
    (D(2026, 3, 2), D(2026, 2, 26), D(2026, 2, 27)),    # Monday: Thursday / Friday
    (D(2026, 3, 3), D(2026, 3, 1), D(2026, 3, 2)),      # Tuesday: Sunday / Monday
    (D(2026, 3, 4), D(2026, 3, 2), D(2026, 3, 3)),      # Wednesday: Monday / Tuesday
    (D(2026, 3, 14), D(2026, 3, 12), D(2026, 3, 13)),   # Saturday: Thursday / Friday
    (D(2026, 3, 10), D(2026, 3, 5), D(2026, 3, 6)),     # after 8–9 March: Thursday / Friday
    (D(2026, 5, 12), D(2026, 5, 7), D(2026, 5, 8)),     # after 9–11 May
    (D(2026, 1, 12), D(2025, 12, 29), D(2025, 12, 30)),  # after the New Year break (31.12.2025 is off)
])
def test_upload_and_check_deadlines(start, upload, check):
    assert check_deadline(start) == check
    assert upload_deadline(start) == upload


def test_an_admins_override_moves_the_deadline():
    WorkingDayOverride.objects.create(date=D(2026, 2, 27), is_working=False, note="региональный выходной")
    assert check_deadline(D(2026, 3, 2)) == D(2026, 2, 26)


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


def _app(program, status, start):
    cohort = CohortFactory(program=program, start_date=start, end_date=start + dt.timedelta(days=60))
    return application_for(program, status, cohort=cohort)


def test_documents_unchecked_after_the_check_day_become_overdue_once(program):
    late = _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 2))  # check day: Friday 27.02
    on_time = _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 3))  # check day: Monday 02.03
    late_docs = [document(late, kind) for kind in ApplicationDocument.ENROLMENT]
    document(late, ApplicationDocument.Kind.EMPLOYMENT_PROOF)
    approved = late_docs[0]
    ApplicationDocument.objects.filter(pk=approved.pk).update(status=DocStatus.APPROVED)
    on_time_doc = document(on_time, ApplicationDocument.Kind.ENROLMENT_CONTRACT)

    assert documents_mark_overdue(today=D(2026, 2, 27)) == 0  # still the check day
    assert documents_mark_overdue(today=D(2026, 2, 28)) == 2
    assert documents_mark_overdue(today=D(2026, 2, 28)) == 0  # idempotent
    statuses = dict(ApplicationDocument.objects.filter(application=late).values_list("kind", "status"))
    assert statuses[ApplicationDocument.Kind.ENROLMENT_CONTRACT] == DocStatus.APPROVED
    assert statuses[ApplicationDocument.Kind.PERSONAL_DATA_CONSENT] == DocStatus.OVERDUE
    assert statuses[ApplicationDocument.Kind.EMPLOYMENT_PROOF] == DocStatus.NEW
    on_time_doc.refresh_from_db()
    assert on_time_doc.status == DocStatus.NEW
    assert late.events.filter(transition="document_overdue").count() == 2


def test_documents_not_yet_submitted_are_not_the_partners_delay(program):
    application = _app(program, Status.PRIMARY_DOCS_REQUIRED, D(2026, 3, 2))
    primary_set(application)
    assert documents_mark_overdue(today=D(2026, 3, 10)) == 0


def test_an_overdue_document_can_still_be_checked(program, staff_a):
    from enrollment.services.checks import document_check

    application = _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 2))
    doc = document(application, ApplicationDocument.Kind.ENROLMENT_CONTRACT)
    documents_mark_overdue(today=D(2026, 3, 2))
    assert document_check(document=doc, actor=staff_a, approve=True).status == DocStatus.APPROVED


def test_the_staff_desk_lists_what_is_late_for_its_partner_only(program, staff_a, staff_b, operator_reviewer):
    application = _app(program, Status.PRIMARY_DOCS_REVIEW, D(2026, 3, 2))
    primary_set(application)
    documents_mark_overdue(today=D(2026, 3, 2))
    late = overdue_for(staff_a)
    assert [a.pk for a in late["applications"]] == [application.pk]
    assert late["total"] == 1
    assert late["applications"][0].overdue_count == 3
    assert overdue_for(staff_b)["total"] == 0
    assert overdue_for(operator_reviewer)["total"] == 1


def test_the_overdue_partial_renders(rf, program, staff_a):
    from django.template.loader import render_to_string

    application = _app(program, Status.PRIMARY_DOCS_REVIEW, D(2026, 3, 2))
    primary_set(application)
    documents_mark_overdue(today=D(2026, 3, 2))
    html = render_to_string("enrollment/partials/application_overdue.html", {"overdue": overdue_for(staff_a)})
    assert application.rr_number in html
    assert "3 документ" in html
    assert render_to_string("enrollment/partials/application_overdue.html",
                            {"overdue": {"applications": [], "total": 0}}).strip() == ""


def test_citizens_are_reminded_the_day_before_the_upload_deadline_once(program):
    waiting = _app(program, Status.ENROLMENT_DOCS_REQUIRED, D(2026, 3, 3))  # upload by Sunday 01.03
    _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 3))  # already uploaded
    _app(program, Status.ENROLMENT_DOCS_REQUIRED, D(2026, 3, 17))  # later
    assert upload_reminders_send(today=D(2026, 2, 27)) == 0
    assert upload_reminders_send(today=D(2026, 2, 28)) == 1
    assert upload_reminders_send(today=D(2026, 2, 28)) == 0
    email = OutgoingEmail.objects.get()
    assert email.to == waiting.citizen.email
    assert "01.03.2026" in email.subject
    assert waiting.events.filter(transition="reminder_upload_enrolment_docs").count() == 1


def test_partner_staff_are_reminded_of_checks_due_once(program, staff_a, staff_b):
    due = _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 3))  # check by Monday 02.03
    document(due, ApplicationDocument.Kind.ENROLMENT_CONTRACT)
    checked = _app(program, Status.ENROLMENT_DOCS_REVIEW, D(2026, 3, 3))
    document(checked, ApplicationDocument.Kind.ENROLMENT_CONTRACT, DocStatus.APPROVED)
    assert check_reminders_send(today=D(2026, 2, 27)) == 1  # Friday: the next working day is the deadline
    assert check_reminders_send(today=D(2026, 3, 2)) == 0
    email = OutgoingEmail.objects.get()
    assert email.to == staff_a.email
    assert due.rr_number in email.body_text
    assert checked.rr_number not in email.body_text
    assert due.events.filter(transition="reminder_check_enrolment_docs_review").count() == 1


def test_the_beats_run_through_their_tasks():
    from enrollment import tasks

    assert tasks.documents_mark_overdue_task() == 0
    assert tasks.upload_reminders_task() == 0
    assert tasks.check_reminders_task() == 0


def test_beat_entries_exist():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"enrollment.tasks.documents_mark_overdue_task", "enrollment.tasks.upload_reminders_task",
            "enrollment.tasks.check_reminders_task"} <= tasks


def test_the_desk_counts_all_that_is_late_beyond_the_shown_rows(program, staff_a):
    for _ in range(3):
        primary_set(_app(program, Status.PRIMARY_DOCS_REVIEW, D(2026, 3, 2)))
    documents_mark_overdue(today=D(2026, 3, 2))
    late = overdue_for(staff_a, limit=2)
    assert len(late["applications"]) == 2
    assert late["total"] == 3
