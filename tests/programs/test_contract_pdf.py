"""Acceptance 5: the contract PDF is rendered by the task from a Russian template with both parties'
requisites, the signatories valid on the contract date, every program and the quota."""
import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import Signatory
from documents.models import GeneratedDocument
from programs.models import AddOnAgreement, TrainingContract
from programs.services import contracts as services
from tests.programs.test_contract_support import (
    add_signatory,
    addon_in,
    awaiting_program,
    contract_in,
    pdf_file,
)

pytestmark = pytest.mark.django_db


def pdf_text(field_file) -> str:
    field_file.open("rb")
    text = "\n".join(page.extract_text() for page in PdfReader(field_file).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture
def parties(operator_org, partner_a):
    operator_org.name = "Федеральное государственное автономное учреждение «Оператор»"
    operator_org.bank_name = "ПАО Сбербанк"
    operator_org.save()
    partner_a.bank_name = "АО «Банк партнёра»"
    partner_a.bank_bik = "046902606"
    partner_a.settlement_account = "40702810000000000001"
    partner_a.save()
    add_signatory(operator_org, full_name="Иванов Иван Иванович", position="Генеральный директор")
    add_signatory(partner_a, full_name="Петров Пётр Петрович", position="Ректор")
    add_signatory(partner_a, full_name="Сидорова Анна Сергеевна", position="Проректор", is_main=False,
                  document_types=[Signatory.DocumentType.TRAINING_CONTRACT], valid_from=dt.date(2026, 1, 15))
    return operator_org, partner_a


def test_the_task_renders_the_contract_with_requisites_programs_and_quota(
        operator_reviewer, parties, campaign, django_capture_on_commit_callbacks):
    operator_org, partner = parties
    programs = [awaiting_program(partner, campaign, title=title, academic_hours=hours) for title, hours in
                (("Оператор беспилотных авиационных систем", 144), ("Основы программирования на Python", 72))]

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        contract = services.contract_generate(
            actor=operator_reviewer, partner=partner, campaign=campaign, number="ДО-2026/17",
            contract_date=dt.date(2026, 2, 1), valid_until=dt.date(2026, 12, 31),
            quota_money=Decimal("12345678.90"), quota_seats=250, programs=programs)
    elapsed = time.monotonic() - started

    contract.document.refresh_from_db()
    assert contract.document.status == GeneratedDocument.Status.READY, contract.document.error
    text = pdf_text(contract.document.file)
    for fragment in (partner.inn, partner.kpp, partner.ogrn, operator_org.inn, "АО «Банк партнёра»", "046902606",
                     "40702810000000000001", "ПАО Сбербанк", "Оператор беспилотных авиационных систем",
                     "Основы программирования на Python", "144", "12 345 678,90", "250", "ДО-2026/17",
                     "01.02.2026", "31.12.2026", "Иванов Иван Иванович",
                     "Сидорова Анна Сергеевна"):  # the contract signatory valid on 01.02.2026, not the main one
        assert fragment in text, fragment
    assert "Петров Пётр Петрович" not in text
    assert elapsed < 20
    print(f"\ncontract PDF: generated and rendered in {elapsed:.2f} s")  # the figure for the report


def test_no_valid_signatory_is_refused_before_generating(operator_reviewer, operator_org, partner_a, campaign):
    add_signatory(operator_org)
    program = awaiting_program(partner_a, campaign)
    with pytest.raises(Exception, match="нет подписанта"):
        services.contract_generate(
            actor=operator_reviewer, partner=partner_a, campaign=campaign, number="1",
            contract_date=dt.date(2026, 2, 1), valid_until=dt.date(2026, 12, 31), quota_money=Decimal(1000),
            quota_seats=1, programs=[program])
    assert not TrainingContract.objects.exists()
    assert not GeneratedDocument.objects.exists()


def test_the_addon_pdf_lists_its_programs(operator_reviewer, operator_org, partner_a, campaign,
                                          django_capture_on_commit_callbacks):
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org)
    program = awaiting_program(partner_a, campaign, title="Сварщик ручной дуговой сварки")
    addon = addon_in(AddOnAgreement.Status.READY_TO_GENERATE, contract=contract, programs=[program])
    with django_capture_on_commit_callbacks(execute=True):
        addon = services.addon_generate(actor=operator_reviewer, addon=addon)
    addon.document.refresh_from_db()
    text = pdf_text(addon.document.file)
    assert "ДОПОЛНИТЕЛЬНОЕ СОГЛАШЕНИЕ № 1" in text
    assert "Сварщик ручной дуговой сварки" in text
    assert contract.number in text


def test_the_cost_proposal_pdf_has_the_price_and_analogues(staff_a, operator_org, partner_a, campaign,
                                                           django_capture_on_commit_callbacks):
    program = awaiting_program(partner_a, campaign, title="Бухгалтерский учёт")
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    analogues = [{"title": f"Аналог {i}", "organization": f"Университет {i}", "url": f"https://u{i}.example.org/p",
                  "price": "51000"} for i in range(1, 4)]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.cost_proposal_create(
            actor=staff_a, contract=contract, program=program, valid_from=dt.date(2026, 3, 1),
            price=Decimal("48500.50"), need_justification="Вакансии в регионе: 120 (trudvsem.ru, 01.02.2026).",
            analogues=analogues, calculation_file=pdf_file())
    proposal.document.refresh_from_db()
    text = pdf_text(proposal.document.file)
    for fragment in ("Бухгалтерский учёт", "48 500,50", "Университет 3", "https://u2.example.org/p", "51 000,00",
                     partner_a.inn):
        assert fragment in text, fragment
