"""Helpers of the cohort-reporting tests (plain functions, no tests here): a finished cohort whose
citizens went through the real order services — enrolled by a manual order (entered on РР),
completed on the learning platform, expelled by a completion order with its scan, with the contract
signed by all parties and the qualification document's scan — and an operator organisation with
a signatory. Each condition of act eligibility can be taken away one by one."""
import datetime as dt
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization
from core.fsm import run_transition
from enrollment.models import Application, ApplicationDocument, QualificationDocument
from orders.models import Order
from orders.services.orders import Requisites, order_assign, order_create, order_scan_replace
from orders.services.portal import portal_mark_entered
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory
from tests.enrollment.test_application_support import contracted_program, in_status, pdf_bytes, signatory
from tests.enrollment.test_cabinet_support import png_bytes
from tests.programs.factories import CohortFactory

START, END = dt.date(2026, 3, 2), dt.date(2026, 4, 30)
PRICE = Decimal("45000.00")
Status = Application.Status


def pdf_upload(name="scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def png_upload(name="screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def operator_with_signatory(operator_org: Organization) -> Organization:
    if not operator_org.signatories.exists():
        signatory(operator_org, full_name="Операторов Олег Олегович", position="Директор")
    return operator_org


def enrolled_cohort(partner, campaign, staff, *, count=3, start=START, end=END):
    """A cohort of a contracted program with `count` citizens enrolled by a manual order that
    staff entered on РР; returns (cohort, applications)."""
    program, contract = contracted_program(partner, campaign)
    cohort = CohortFactory(program=program, start_date=start, end_date=end)
    applications = [in_status(ApplicationFactory(program=program, cohort=cohort, contract=contract,
                                                 reserved_amount=PRICE), Status.ENROLMENT_ORDER_REQUIRED)
                    for _ in range(count)]
    with time_machine.travel(dt.datetime.combine(start - dt.timedelta(days=3), dt.time(12))):
        order = order_create(actor=staff, cohort=cohort, requisites=Requisites(
            type=Order.Type.ENROLMENT, number=f"З-{cohort.pk}", order_date=start - dt.timedelta(days=3)),
            scan_files=[pdf_upload()])
        order_assign(actor=staff, order=order, application_ids=[a.pk for a in applications])
        portal_mark_entered(actor=staff, order=order)
    return cohort, [Application.objects.get(pk=a.pk) for a in applications]


def complete(applications, staff, *, cohort, scan=True, contract=True, qualification_scan=True, successful=True):
    """The learning platform's result, the completion order (with its scan), the contract signed by
    all parties and the qualification document for each application."""
    for application in applications:
        run_transition(application, "record_completion" if successful else "record_failure", actor=None)
    if not successful:
        return
    with time_machine.travel(dt.datetime.combine(cohort.end_date + dt.timedelta(days=1), dt.time(12))):
        order = order_create(actor=staff, cohort=cohort, requisites=Requisites(
            type=Order.Type.EXPULSION, basis=Order.Basis.QUALIFICATION, number=f"ОК-{cohort.pk}-{applications[0].pk}",
            order_date=cohort.end_date + dt.timedelta(days=1), expelled_on=cohort.end_date))
        if scan:
            order_scan_replace(actor=staff, order=order, files=[pdf_upload()])
        order_assign(actor=staff, order=order, application_ids=[a.pk for a in applications])
    for application in applications:
        if contract:
            ApplicationDocumentFactory(application=application, kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT)
        document = QualificationDocument.objects.create(
            application=application, series="70", number=f"{application.pk:06d}", registration_number="1",
            issued_on=cohort.end_date)
        if qualification_scan:
            document.scan.save("qualification.pdf", SimpleUploadedFile("q.pdf", pdf_bytes()))
        Application.objects.filter(pk=application.pk).update(status=Status.AWAITING_EMPLOYMENT)
