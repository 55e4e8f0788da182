"""The quota on a training contract never goes below zero: two applications whose last primary
document is approved at the same moment compete for the last seat (PostgreSQL, two connections).
Exactly one gets it; the other is refused with a clear message and nothing of it changes."""
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from enrollment.models import Application, ApplicationBlank, ApplicationDocument
from enrollment.services.checks import document_check
from tests.enrollment.test_application_support import PRICE, application_for, contracted_program, document

Status = Application.Status
Kind = ApplicationDocument.Kind
DocStatus = ApplicationDocument.Status


def _almost_approved(program):
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    document(application, Kind.PASSPORT_MAIN, DocStatus.APPROVED)
    document(application, Kind.PASSPORT_REGISTRATION, DocStatus.APPROVED)
    return application, document(application, Kind.EDUCATION)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_applications_reserving_the_last_seat_concurrently_never_overdraw(partner_a, campaign, staff_a):
    program, contract = contracted_program(partner_a, campaign, quota_money=Decimal("1000000"), quota_seats=1)
    first_app, first_doc = _almost_approved(program)
    second_app, second_doc = _almost_approved(program)
    reserved, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                document_check(document=first_doc, actor=staff_a, approve=True)
                reserved.set()
                release_first.wait(10)
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            document_check(document=second_doc, actor=staff_a, approve=True)
            results["second"] = "ok"
        except ValidationError as error:
            results["second"] = " ".join(error.messages)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert reserved.wait(20)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second reservation waits for the first one's contract row"
    release_first.set()
    one.join(30)
    two.join(30)

    assert results["first"] == "ok"
    assert "исчерпана" in results["second"]
    contract.refresh_from_db()
    assert (contract.reserved_money, contract.reserved_seats) == (PRICE, 1)
    first_app.refresh_from_db()
    second_app.refresh_from_db()
    second_doc.refresh_from_db()
    assert first_app.status == Status.ENROLMENT_DOCS_REQUIRED
    assert first_app.contract_id == contract.pk
    assert second_app.status == Status.PRIMARY_DOCS_REVIEW
    assert second_app.contract_id is None
    assert second_doc.status == DocStatus.NEW
    assert not ApplicationBlank.objects.filter(application=second_app).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_applications_at_once_stop_exactly_at_the_quota(partner_a, campaign, staff_a):
    program, contract = contracted_program(partner_a, campaign, quota_money=PRICE * 3, quota_seats=10)
    pending = [_almost_approved(program) for _ in range(6)]
    start = threading.Barrier(len(pending))
    outcomes = []
    lock = threading.Lock()

    def worker(doc):
        try:
            start.wait(20)
            try:
                document_check(document=doc, actor=staff_a, approve=True)
                outcome = True
            except ValidationError:
                outcome = False
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(doc,)) for _app, doc in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    contract.refresh_from_db()
    assert outcomes.count(True) == 3
    assert (contract.reserved_money, contract.reserved_seats) == (PRICE * 3, 3)
    assert Application.objects.filter(contract=contract).count() == 3
