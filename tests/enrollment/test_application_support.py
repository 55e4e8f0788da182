"""Helpers shared by the partner-side application tests (plain functions, no tests here): a partner
with a program under a registered contract with an approved price and a signatory, applications put
in a status, and document versions in a status."""
import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from accounts.models import Signatory
from enrollment.models import Application, ApplicationDocument
from programs.models import CostProposal, TrainingContract
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory
from tests.programs.factories import CohortFactory, CostProposalFactory, ProgramFactory, TrainingContractFactory

PRICE = Decimal("45000.00")
Kind = ApplicationDocument.Kind
DocStatus = ApplicationDocument.Status


def signatory(organization, **kwargs) -> Signatory:
    return Signatory.objects.create(**{
        "organization": organization, "full_name": "Сидоров Сидор Сидорович", "position": "Ректор",
        "valid_from": dt.date(2025, 1, 1), "is_main": True, **kwargs})


def contracted_program(partner, campaign, *, quota_money=Decimal("1000000"), quota_seats=20, price=PRICE):
    """A partner's program in a registered contract with an approved price, and the partner's signatory."""
    program = ProgramFactory(partner=partner, campaign=campaign)
    contract = TrainingContractFactory(partner=partner, campaign=campaign, status=TrainingContract.Status.REGISTERED,
                                       quota_money=quota_money, quota_seats=quota_seats)
    contract.programs.add(program)
    CostProposalFactory(program=program, contract=contract, price=price, status=CostProposal.Status.APPROVED)
    if not partner.signatories.exists():
        signatory(partner)
    return program, contract


def in_status(application: Application, status: str) -> Application:
    """Put an application in `status` directly (test set-up only: the FSM field is protected)."""
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    return application


def application_for(program, status=Application.Status.PRIMARY_DOCS_REQUIRED, **kwargs) -> Application:
    kwargs.setdefault("cohort", CohortFactory(program=program))
    return in_status(ApplicationFactory(program=program, **kwargs), status)


def document(application, kind, status=DocStatus.NEW, **kwargs) -> ApplicationDocument:
    doc = ApplicationDocumentFactory(application=application, kind=kind, **kwargs)
    if status != DocStatus.NEW:
        ApplicationDocument.objects.filter(pk=doc.pk).update(status=status)
        doc.refresh_from_db()
    return doc


def primary_set(application, status=DocStatus.NEW, kinds=ApplicationDocument.PRIMARY) -> dict:
    return {kind: document(application, kind, status) for kind in kinds}


def enrolment_set(application, status=DocStatus.NEW) -> dict:
    return {kind: document(application, kind, status) for kind in ApplicationDocument.ENROLMENT}


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")
