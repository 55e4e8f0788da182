"""The enrolment blanks: three pending documents created with the primary approval, rendered by a
task from Russian templates with the citizen's, program's, cohort's and partner's data and the
partner's signatory; every page carries the document's number and its QR code."""
import base64
import io
import re

import pytest
import qrcode
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from core.fsm import InvalidTransition
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationBlank, ApplicationDocument
from enrollment.services.blanks import QR_MASK, blank_render, blanks_generate, blanks_regenerate, qr_data_uri
from tests.enrollment.test_application_support import application_for, contracted_program

pytestmark = pytest.mark.django_db
Status = Application.Status
Kind = ApplicationDocument.Kind


@pytest.fixture
def application(partner_a, campaign):
    program, _contract = contracted_program(partner_a, campaign)
    application = application_for(program, Status.ENROLMENT_DOCS_REQUIRED)
    citizen = application.citizen
    citizen.last_name, citizen.first_name, citizen.middle_name = "Ёлкина", "Мария", "Ивановна"
    citizen.passport_series, citizen.passport_number = "6905", "123456"
    citizen.save()
    return application


def _text(document: GeneratedDocument) -> list[str]:
    reader = PdfReader(io.BytesIO(document.file.read()))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_three_pending_blanks_are_created_and_rendered_after_commit(
        application, staff_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        blanks = blanks_generate(application=application, actor=staff_a)
    assert len(blanks) == 3
    assert len(callbacks) == 3
    for blank in ApplicationBlank.objects.filter(application=application).select_related("document"):
        assert blank.document.status == GeneratedDocument.Status.READY, blank.document.error
        assert blank.document.number.startswith(application.rr_number)


@pytest.mark.parametrize("kind", list(ApplicationDocument.ENROLMENT))
def test_each_blank_carries_the_data_and_the_number_on_every_page(application, staff_a, kind):
    blanks_generate(application=application, actor=staff_a)
    document = ApplicationBlank.objects.get(application=application, kind=kind).document
    document = blank_render(document_id=document.pk)
    assert document.status == GeneratedDocument.Status.READY, document.error
    pages = _text(document)
    text = " ".join(pages)
    assert "Ёлкина Мария Ивановна" in text
    assert application.program.title in text
    assert application.partner.name in text or application.partner.short_name in text
    for page in pages:
        assert document.number in page


def test_the_contract_shows_the_signatory_and_the_cohort(application, staff_a):
    blanks_generate(application=application, actor=staff_a)
    document = blank_render(document_id=ApplicationBlank.objects.get(
        application=application, kind=Kind.ENROLMENT_CONTRACT).document_id)
    text = " ".join(_text(document))
    assert "Сидоров Сидор Сидорович" in text
    assert application.cohort.start_date.strftime("%d.%m.%Y") in text


def test_rendering_is_idempotent(application, staff_a):
    blanks_generate(application=application, actor=staff_a)
    document_id = ApplicationBlank.objects.first().document_id
    first = blank_render(document_id=document_id)
    second = blank_render(document_id=document_id)
    assert first.sha256 == second.sha256
    assert second.status == GeneratedDocument.Status.READY


def test_the_qr_code_is_an_svg_data_uri_drawing_exactly_the_codes_dark_modules():
    uri = qr_data_uri("РР-2026-000001-Д")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode()
    drawn = set()
    for x, y, run in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", svg):
        drawn |= {(int(x) + i, int(y)) for i in range(int(run))}
    code = qrcode.QRCode(border=1, mask_pattern=QR_MASK)
    code.add_data("РР-2026-000001-Д")
    code.make(fit=True)
    matrix = code.get_matrix()
    assert drawn == {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}
    assert f'width="{len(matrix)}mm" height="{len(matrix)}mm" viewBox="0 0 {len(matrix)} {len(matrix)}"' in svg


def test_regenerating_keeps_the_previous_document(application, staff_a):
    blanks_generate(application=application, actor=staff_a)
    old = set(ApplicationBlank.objects.values_list("document_id", flat=True))
    blanks_regenerate(application=application, actor=staff_a)
    new = set(ApplicationBlank.objects.values_list("document_id", flat=True))
    assert not old & new
    assert GeneratedDocument.objects.filter(pk__in=old).count() == 3
    assert application.events.filter(transition="blanks_regenerate", actor=staff_a).exists()


def test_blanks_are_not_regenerated_after_the_enrolment_approval(application, staff_a):
    blanks_generate(application=application, actor=staff_a)
    Application.objects.filter(pk=application.pk).update(status=Status.AWAITING_AGREEMENT)
    with pytest.raises(InvalidTransition):
        blanks_regenerate(application=application, actor=staff_a)


def test_another_partner_cannot_regenerate(application, staff_b):
    with pytest.raises(PermissionDenied):
        blanks_regenerate(application=application, actor=staff_b)
