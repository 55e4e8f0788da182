"""Qualification documents (reference §8; §2.1.1 rows 18–19) and the cohort's ФИС ФРДО export."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from core.exports import get_export
from core.fsm import InvalidTransition
from enrollment.models import Application, ApplicationDocument, QualificationDocument
from enrollment.services.qualifications import qualification_enter
from tests.enrollment.test_application_support import application_for, contracted_program, document, pdf_upload

pytestmark = pytest.mark.django_db
Status = Application.Status
DATA = {"series": "700001", "number": "0001234", "registration_number": "ПК-2026/15",
        "issued_on": dt.date(2026, 5, 15)}


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


def _completed(program, status=Status.QUALIFICATION_DOC_REQUIRED, contract=True):
    application = application_for(program, status)
    if contract:
        document(application, ApplicationDocument.Kind.ALL_PARTY_CONTRACT, ApplicationDocument.Status.APPROVED)
    return application


def test_data_without_a_scan_waits_for_the_scan(program, staff_a):
    application = _completed(program)
    qualification_enter(application=application, actor=staff_a, **DATA)
    application.refresh_from_db()
    assert application.status == Status.QUALIFICATION_SCAN_REQUIRED
    qualification = application.qualification_document
    assert (qualification.number, qualification.entered_by) == ("0001234", staff_a)


def test_data_with_the_scan_goes_to_awaiting_employment(program, staff_a):
    application = _completed(program)
    qualification_enter(application=application, actor=staff_a, scan_files=[pdf_upload()], **DATA)
    application.refresh_from_db()
    assert application.status == Status.AWAITING_EMPLOYMENT
    assert application.qualification_document.scan.read().startswith(b"%PDF")


def test_the_scan_later_completes_it(program, staff_a):
    application = _completed(program)
    qualification_enter(application=application, actor=staff_a, **DATA)
    qualification_enter(application=application, actor=staff_a, scan_files=[pdf_upload()], **DATA)
    application.refresh_from_db()
    assert application.status == Status.AWAITING_EMPLOYMENT
    assert QualificationDocument.objects.count() == 1
    assert list(application.events.order_by("pk").values_list("transition", flat=True)) == [
        "enter_qualification_data", "enter_qualification_scan"]


def test_it_needs_the_all_party_contract(program, staff_a):
    application = _completed(program, contract=False)
    with pytest.raises(ValidationError, match="подписанный всеми сторонами"):
        qualification_enter(application=application, actor=staff_a, **DATA)


@pytest.mark.parametrize("status", [Status.STUDYING, Status.COMPLETION_ORDER_REQUIRED, Status.EXPELLED])
def test_it_needs_the_completion_order(program, staff_a, status):
    application = _completed(program, status=status)
    with pytest.raises(InvalidTransition):
        qualification_enter(application=application, actor=staff_a, **DATA)
    assert not QualificationDocument.objects.exists()


def test_an_issue_date_in_the_future_is_refused(program, staff_a):
    application = _completed(program)
    with pytest.raises(ValidationError):
        qualification_enter(application=application, actor=staff_a, **{**DATA, "issued_on": dt.date(2099, 1, 1)})


def test_only_the_partner_enters_it(program, staff_b):
    with pytest.raises(PermissionDenied):
        qualification_enter(application=_completed(program), actor=staff_b, **DATA)


def test_the_frdo_export_lists_the_cohorts_documents_in_the_template_order(program, staff_a, staff_b):
    application = _completed(program)
    qualification_enter(application=application, actor=staff_a, **DATA)
    spec = get_export("enrollment.qualifications_frdo")
    params = QueryDict(f"cohort={application.cohort_id}")
    rows = [spec.row_for(d) for d in spec.queryset(staff_a, params)]
    assert spec.headers[:3] == ["Название документа", "Вид документа", "Статус документа"]
    row = dict(zip(spec.headers, rows[0], strict=True))
    assert row["Номер документа"] == "0001234"
    assert row["Регистрационный номер"] == "ПК-2026/15"
    assert row["Название документа"] == "Удостоверение о повышении квалификации"
    assert row["Фамилия получателя"] == application.citizen.last_name
    assert row["Подтверждение утраты"] == "Нет"
    assert row["Пол получателя"] == ""
    assert row["СНИЛС"].count("-") == 2
    assert list(spec.queryset(staff_b, params)) == []
