"""The partner's document check and the application status it implies (reference §2.1.1 rows 3, 5,
7, 9; §2.3; §6.1): approval is final, a rejection needs a comment, all primary documents approved
reserve the quota and generate the blanks, any rejected sends the citizen back with the comments."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from enrollment.models import Application, ApplicationBlank, ApplicationDocument
from enrollment.services.checks import application_recompute, document_check
from tests.enrollment.test_application_support import (
    PRICE,
    DocStatus,
    Kind,
    application_for,
    contracted_program,
    document,
    enrolment_set,
    primary_set,
)

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


@pytest.fixture
def contract(program):
    return program.training_contracts.get()


@pytest.fixture
def in_review(program):
    return application_for(program, Status.PRIMARY_DOCS_REVIEW)


def _approve_all(documents, actor):
    for doc in documents.values():
        document_check(document=doc, actor=actor, approve=True)


def test_approving_one_document_records_who_and_when_and_leaves_the_status(in_review, staff_a):
    docs = primary_set(in_review)
    checked = document_check(document=docs[Kind.PASSPORT_MAIN], actor=staff_a, approve=True)
    assert checked.status == DocStatus.APPROVED
    assert checked.checked_by == staff_a
    assert checked.checked_at is not None
    in_review.refresh_from_db()
    assert in_review.status == Status.PRIMARY_DOCS_REVIEW
    event = in_review.events.get(transition="document_approve")
    assert event.actor == staff_a
    assert "Паспорт" in event.comment


def test_all_primary_approved_reserves_the_quota_and_generates_the_blanks(
        in_review, staff_a, contract, django_capture_on_commit_callbacks):
    docs = primary_set(in_review)
    with django_capture_on_commit_callbacks() as callbacks:
        _approve_all(docs, staff_a)
    in_review.refresh_from_db()
    assert in_review.status == Status.ENROLMENT_DOCS_REQUIRED
    assert (in_review.contract, in_review.reserved_amount) == (contract, PRICE)
    contract.refresh_from_db()
    assert (contract.reserved_money, contract.reserved_seats) == (PRICE, 1)
    blanks = ApplicationBlank.objects.filter(application=in_review)
    assert sorted(blanks.values_list("kind", flat=True)) == sorted(ApplicationDocument.ENROLMENT)
    assert all(b.document.status == "pending" for b in blanks)
    assert OutgoingEmail.objects.filter(to=in_review.citizen.email, subject__contains="одобрены").exists()
    assert len(callbacks) >= 3  # three render tasks (and the e-mail) queued after commit
    assert in_review.events.filter(transition="approve_primary_docs", actor=staff_a).exists()
    assert in_review.events.filter(transition="quota_reserve").exists()


def test_present_optional_documents_must_be_approved_too(in_review, staff_a):
    docs = primary_set(in_review)
    surname = document(in_review, Kind.SURNAME_CHANGE)
    _approve_all(docs, staff_a)
    in_review.refresh_from_db()
    assert in_review.status == Status.PRIMARY_DOCS_REVIEW
    document_check(document=surname, actor=staff_a, approve=True)
    in_review.refresh_from_db()
    assert in_review.status == Status.ENROLMENT_DOCS_REQUIRED


def test_any_primary_rejected_sends_the_citizen_back_with_the_comment(in_review, staff_a):
    docs = primary_set(in_review)
    document_check(document=docs[Kind.PASSPORT_MAIN], actor=staff_a, approve=False, comment="Скан нечитаемый")
    in_review.refresh_from_db()
    assert in_review.status == Status.PRIMARY_DOCS_REJECTED
    email = OutgoingEmail.objects.get(to=in_review.citizen.email)
    assert "Скан нечитаемый" in email.body_text
    assert "Паспорт: основная страница" in email.body_text
    assert "Скан нечитаемый" in in_review.events.get(transition="reject_primary_docs").comment


def test_a_second_rejection_after_the_status_moved_still_reaches_the_citizen(in_review, staff_a):
    docs = primary_set(in_review)
    document_check(document=docs[Kind.PASSPORT_MAIN], actor=staff_a, approve=False, comment="Нечитаемо")
    document_check(document=docs[Kind.EDUCATION], actor=staff_a, approve=False, comment="Нет приложения")
    bodies = list(OutgoingEmail.objects.values_list("body_text", flat=True))
    assert len(bodies) == 2
    assert "Нет приложения" in bodies[0] + bodies[1]


def test_a_labour_record_rejection_alone_neither_blocks_nor_sends_back(in_review, staff_a):
    docs = primary_set(in_review)
    labour = document(in_review, Kind.LABOUR_RECORD)
    document_check(document=labour, actor=staff_a, approve=False, comment="Выписка старше двух недель")
    in_review.refresh_from_db()
    assert in_review.status == Status.PRIMARY_DOCS_REVIEW
    _approve_all(docs, staff_a)
    in_review.refresh_from_db()
    assert in_review.status == Status.ENROLMENT_DOCS_REQUIRED


def test_an_employment_proof_rejection_never_moves_the_application(program, staff_a):
    application = application_for(program, Status.AWAITING_EMPLOYMENT)
    proof = document(application, Kind.EMPLOYMENT_PROOF)
    document_check(document=proof, actor=staff_a, approve=False, comment="Нет печати работодателя")
    application.refresh_from_db()
    assert application.status == Status.AWAITING_EMPLOYMENT
    assert "Нет печати" in OutgoingEmail.objects.get().body_text


def test_a_rejection_needs_a_comment(in_review, staff_a):
    doc = primary_set(in_review)[Kind.EDUCATION]
    with pytest.raises(ValidationError, match="причину"):
        document_check(document=doc, actor=staff_a, approve=False, comment="  ")
    doc.refresh_from_db()
    assert doc.status == DocStatus.NEW


def test_approval_is_final(in_review, staff_a):
    doc = primary_set(in_review)[Kind.EDUCATION]
    document_check(document=doc, actor=staff_a, approve=True)
    with pytest.raises(InvalidTransition, match="уже проверен"):
        document_check(document=doc, actor=staff_a, approve=False, comment="Передумали")
    doc.refresh_from_db()
    assert doc.status == DocStatus.APPROVED


def test_a_replaced_version_cannot_be_checked(in_review, staff_a):
    old = document(in_review, Kind.EDUCATION, is_current=False)
    with pytest.raises(InvalidTransition, match="заменён новой версией"):
        document_check(document=old, actor=staff_a, approve=True)


@pytest.mark.parametrize("persona", ["staff_b", "employment_reviewer", "operator_reviewer", "citizen"])
def test_only_the_partners_staff_check(personas, in_review, persona):
    doc = primary_set(in_review)[Kind.EDUCATION]
    with pytest.raises(PermissionDenied):
        document_check(document=doc, actor=personas[persona], approve=True)


def test_an_exhausted_quota_refuses_the_approval_and_changes_nothing(partner_a, campaign, staff_a):
    program, contract = contracted_program(partner_a, campaign, quota_money=Decimal("40000"), quota_seats=5)
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    docs = primary_set(application)
    document_check(document=docs[Kind.PASSPORT_MAIN], actor=staff_a, approve=True)
    document_check(document=docs[Kind.PASSPORT_REGISTRATION], actor=staff_a, approve=True)
    mail.outbox.clear()
    with pytest.raises(ValidationError, match="Квота договора на организацию обучения исчерпана"):
        document_check(document=docs[Kind.EDUCATION], actor=staff_a, approve=True)
    docs[Kind.EDUCATION].refresh_from_db()
    application.refresh_from_db()
    contract.refresh_from_db()
    assert docs[Kind.EDUCATION].status == DocStatus.NEW
    assert application.status == Status.PRIMARY_DOCS_REVIEW
    assert application.contract is None
    assert (contract.reserved_money, contract.reserved_seats) == (0, 0)
    assert not ApplicationBlank.objects.exists()


def test_without_a_registered_contract_the_approval_is_refused(partner_a, staff_a):
    from tests.enrollment.factories import ApplicationFactory
    from tests.enrollment.test_application_support import in_status

    application = in_status(ApplicationFactory(program__partner=partner_a), Status.PRIMARY_DOCS_REVIEW)
    docs = primary_set(application, status=DocStatus.APPROVED, kinds=ApplicationDocument.PRIMARY[:2])
    education = document(application, Kind.EDUCATION)
    assert docs
    with pytest.raises(ValidationError, match="Нет зарегистрированного договора"):
        document_check(document=education, actor=staff_a, approve=True)


def test_without_a_signatory_the_blanks_are_refused(in_review, staff_a, partner_a):
    partner_a.signatories.update(valid_to=dt.date(2025, 1, 2))
    docs = primary_set(in_review)
    document_check(document=docs[Kind.PASSPORT_MAIN], actor=staff_a, approve=True)
    document_check(document=docs[Kind.PASSPORT_REGISTRATION], actor=staff_a, approve=True)
    with pytest.raises(ValidationError, match="нет подписанта"):
        document_check(document=docs[Kind.EDUCATION], actor=staff_a, approve=True)
    in_review.refresh_from_db()
    assert in_review.status == Status.PRIMARY_DOCS_REVIEW


@pytest.mark.parametrize(("signed", "target"), [(False, Status.AWAITING_AGREEMENT),
                                                (True, Status.ENROLMENT_ORDER_REQUIRED)])
def test_enrolment_documents_approved_follow_the_intention_agreement(program, staff_a, signed, target):
    application = application_for(program, Status.ENROLMENT_DOCS_REVIEW)
    if signed:
        Application.objects.filter(pk=application.pk).update(agreement_signed_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    _approve_all(enrolment_set(application), staff_a)
    application.refresh_from_db()
    assert application.status == target
    assert "оригиналы" in OutgoingEmail.objects.get(subject__contains="на зачисление").body_text.lower()


def test_an_enrolment_document_rejected_sends_the_citizen_back(program, staff_a):
    application = application_for(program, Status.ENROLMENT_DOCS_REVIEW)
    docs = enrolment_set(application)
    document_check(document=docs[Kind.PERSONAL_DATA_CONSENT], actor=staff_a, approve=False, comment="Нет подписи")
    application.refresh_from_db()
    assert application.status == Status.ENROLMENT_DOCS_REJECTED
    assert "Нет подписи" in OutgoingEmail.objects.get().body_text


def test_recompute_is_a_no_op_while_documents_wait(in_review, staff_a):
    primary_set(in_review)
    assert application_recompute(application=in_review, actor=staff_a).status == Status.PRIMARY_DOCS_REVIEW


def test_recompute_does_nothing_outside_the_review_statuses(program, staff_a):
    application = application_for(program, Status.PRIMARY_DOCS_REQUIRED)
    primary_set(application, status=DocStatus.APPROVED)
    assert application_recompute(application=application, actor=staff_a).status == Status.PRIMARY_DOCS_REQUIRED
