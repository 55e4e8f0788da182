"""Two partner staff approving the same document at the same moment (PostgreSQL, two connections):
the application and document rows are locked, so the second waits, then finds the document already
approved and gets one clear message; exactly one approval is recorded."""
import threading

import pytest
from django.db import connection, transaction

from core.fsm import InvalidTransition
from enrollment.models import Application, ApplicationDocument
from enrollment.services.checks import document_check
from tests.enrollment.test_application_support import application_for, contracted_program, document
from tests.factories import MembershipFactory, UserFactory

Status = Application.Status
Kind = ApplicationDocument.Kind


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_one_document_at_once_end_with_one_approval(partner_a, campaign, staff_a):
    other_staff = MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a2@example.org")).user
    program, _contract = contracted_program(partner_a, campaign)
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    doc = document(application, Kind.SURNAME_CHANGE)
    checked, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                document_check(document=doc, actor=staff_a, approve=True)
                checked.set()
                release_first.wait(10)
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            document_check(document=doc, actor=other_staff, approve=True)
            results["second"] = "ok"
        except InvalidTransition as error:
            results["second"] = error.messages[0]
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert checked.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second check waits for the first one's row lock"
    release_first.set()
    one.join(10)
    two.join(10)

    assert results["first"] == "ok"
    assert results["second"].startswith("Документ уже проверен: «Подтверждён»")
    doc.refresh_from_db()
    assert doc.status == ApplicationDocument.Status.APPROVED
    assert doc.checked_by == staff_a
    assert application.events.filter(transition="document_approve").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_with_a_barrier_still_end_with_one(partner_a, campaign, staff_a):
    other_staff = MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a3@example.org")).user
    program, _contract = contracted_program(partner_a, campaign)
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    doc = document(application, Kind.SURNAME_CHANGE)
    start = threading.Barrier(2)
    outcomes = []
    lock = threading.Lock()

    def worker(user):
        try:
            start.wait(10)
            try:
                document_check(document=doc, actor=user, approve=True)
                outcome = "ok"
            except InvalidTransition as error:
                outcome = error.messages[0]
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(user,)) for user in (staff_a, other_staff)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcomes.count("ok") == 1
    assert any(o.startswith("Документ уже проверен") for o in outcomes)
    assert application.events.filter(transition="document_approve").count() == 1
