"""Withdrawal requests (reference §2.4; §2.1.1 rows 11–13): filed during training (by the citizen,
or on their behalf by staff who may replace citizen documents) no later than 3 working days before
the end; the partner approves or rejects with a comment; an approved one may still be rejected
until an expulsion order is attached."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from enrollment.models import Application, WithdrawalRequest
from enrollment.services.deadlines import withdrawal_last_day
from enrollment.services.withdrawals import withdrawal_decide, withdrawal_open, withdrawal_request_file
from tests.enrollment.test_application_support import application_for, contracted_program, pdf_upload
from tests.programs.factories import CohortFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
PDF = b"%PDF-1.4\n%%EOF\n"


def _scan():
    return [pdf_upload("zayavlenie.pdf")]


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


def _studying(program, end=dt.date(2026, 12, 25)):
    cohort = CohortFactory(program=program, start_date=dt.date(2026, 3, 2), end_date=end)
    return application_for(program, Status.STUDYING, cohort=cohort)


def _in_review(program):
    application = application_for(program, Status.WITHDRAWAL_REVIEW)
    return WithdrawalRequest.objects.create(application=application, file=SimpleUploadedFile("w.pdf", PDF)), application


@pytest.fixture
def replacing_staff(staff_a):
    staff_a.memberships.update(can_replace_citizen_documents=True)
    staff_a.__dict__.pop("access", None)
    return staff_a


def test_the_citizen_files_a_request_and_the_application_goes_to_review(program):
    application = _studying(program)
    request = withdrawal_request_file(application=application, files=_scan(), actor=application.citizen.user)
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWAL_REVIEW
    assert request.status == WithdrawalRequest.Status.REVIEW
    assert request.file.read().startswith(b"%PDF")
    assert "получено" in OutgoingEmail.objects.get().subject


def test_staff_who_may_replace_documents_file_on_the_citizens_behalf(program, replacing_staff):
    application = _studying(program)
    withdrawal_request_file(application=application, files=_scan(), actor=replacing_staff)
    event = application.events.get(transition="request_withdrawal")
    assert event.actor == replacing_staff
    assert "от имени гражданина" in event.comment


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "operator_reviewer"])
def test_other_staff_may_not_file_for_the_citizen(program, personas, persona):
    with pytest.raises(PermissionDenied):
        withdrawal_request_file(application=_studying(program), files=_scan(), actor=personas[persona])


def test_the_last_three_working_days_before_the_end_are_closed(program):
    # Ends Thursday 10.12.2026: closed on Mon 7, Tue 8, Wed 9; the last day is Sunday 6.12.
    assert withdrawal_last_day(dt.date(2026, 12, 10)) == dt.date(2026, 12, 6)
    application = _studying(program, end=dt.date(2026, 12, 10))
    assert withdrawal_open(application, today=dt.date(2026, 12, 6))
    assert not withdrawal_open(application, today=dt.date(2026, 12, 7))


def test_a_request_outside_training_is_refused(program):
    application = application_for(program, Status.ENROLMENT_ORDER_REQUIRED)
    with pytest.raises(InvalidTransition):
        withdrawal_request_file(application=application, files=_scan(), actor=application.citizen.user)
    assert not WithdrawalRequest.objects.exists()


def test_approval_moves_the_application_to_the_own_request_order(program, staff_a):
    request, application = _in_review(program)
    withdrawal_decide(request=request, actor=staff_a, approve=True)
    request.refresh_from_db()
    application.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.APPROVED
    assert request.decided_by == staff_a
    assert application.status == Status.OWN_REQUEST_ORDER_REQUIRED
    assert "одобрено" in OutgoingEmail.objects.get().subject


def test_rejection_needs_a_comment_and_training_goes_on(program, staff_a):
    request, application = _in_review(program)
    with pytest.raises(ValidationError):
        withdrawal_decide(request=request, actor=staff_a, approve=False)
    withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Гражданин передумал")
    request.refresh_from_db()
    application.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.REJECTED
    assert request.comment == "Гражданин передумал"
    assert application.status == Status.STUDYING
    assert "Гражданин передумал" in OutgoingEmail.objects.get().body_text


def test_an_approved_request_may_still_be_rejected_until_the_order(program, staff_a):
    request, application = _in_review(program)
    withdrawal_decide(request=request, actor=staff_a, approve=True)
    withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Ошибочно одобрено")
    application.refresh_from_db()
    assert application.status == Status.STUDYING


def test_after_the_expulsion_order_the_decision_is_fixed(program, staff_a):
    request, application = _in_review(program)
    withdrawal_decide(request=request, actor=staff_a, approve=True)
    WithdrawalRequest.objects.filter(pk=request.pk).update(has_expulsion_order=True)
    with pytest.raises(InvalidTransition, match="Приказ об отчислении уже добавлен"):
        withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Поздно")
    application.refresh_from_db()
    assert application.status == Status.OWN_REQUEST_ORDER_REQUIRED


def test_a_decided_request_cannot_be_approved_again(program, staff_a):
    request, _application = _in_review(program)
    withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Нет")
    with pytest.raises(InvalidTransition, match="Отклонено"):
        withdrawal_decide(request=request, actor=staff_a, approve=True)


@pytest.mark.parametrize("persona", ["staff_b", "employment_reviewer", "operator_reviewer"])
def test_only_the_partner_decides(program, personas, persona):
    request, _application = _in_review(program)
    with pytest.raises(PermissionDenied):
        withdrawal_decide(request=request, actor=personas[persona], approve=True)
