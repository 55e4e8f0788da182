"""Hostile uploads (issue #9; security checklist UPL-01…UPL-08).

The corpus in `hostile/` (written by `hostile/make_corpus.py`) goes through every slot that takes a
file from a citizen or a partner. What each slot does with it:

- scans (citizen documents, staff replacements, the contract signed by all parties, order scans,
  ФИС ФРДО screenshots, invoices, withdrawal requests, qualification documents): PDF, JPEG or PNG by
  content; images are re-encoded (a PNG with HTML appended, a JPEG with GPS in its EXIF are stored
  clean: neutralised); a PDF is kept as uploaded, so one with JavaScript or an embedded file, an
  encrypted one or one with data after its end is refused, not flagged (nothing to review later);
- PDF-only slots (the journal, the cost calculation): the same PDF rules, nothing else;
- signatures: a CMS structure or nothing.

A refusal is a Russian message naming the problem, with no new row and no new storage object. An
accepted file is stored under a name of ours whatever the user called it, and is served as an
attachment with a well-formed RFC 6266/5987 name, `nosniff` and `Content-Security-Policy: sandbox`.
"""
import datetime as dt
import importlib.util
import io
import json
import logging
import re
import socket
import struct
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from cohorts.models import ActInvoice, JournalFile, JournalPackage
from cohorts.services import acts, journals
from documents.models import GeneratedDocument, Signature
from documents.scanning import ClamdScanner, ScannerUnavailable
from documents.services import signature_store
from documents.validators import validate_pdf_file, validate_scan_files, validate_signature_file
from documents.views import attachment_disposition, file_response
from enrollment.models import Application, ApplicationDocument, QualificationDocument, WithdrawalRequest
from enrollment.services.qualifications import qualification_enter
from enrollment.services.uploads import document_upload, storage_reconcile
from enrollment.services.withdrawals import withdrawal_request_file
from orders.models import OrderScan
from tests.cohorts.support import enrolled_cohort, operator_with_signatory, pdf_upload, png_upload
from tests.cohorts.test_act_cycle import ACT_DAY, act_in, finished_cohort
from tests.cohorts.test_assignments import at
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import application_for, contracted_program, document, in_status
from tests.enrollment.test_cabinet_support import citizen_application, stored_names
from tests.factories import MembershipFactory, UserFactory
from tests.orders.factories import OrderFactory, cohort_of
from tests.programs.factories import CohortFactory
from tests.programs.test_contract_support import ready_document, signature_file

pytestmark = pytest.mark.django_db

HOSTILE = Path(__file__).resolve().parent / "hostile"
NAMES = json.loads((HOSTILE / "names.json").read_text())
Kind = ApplicationDocument.Kind
Status = Application.Status

# What a scan slot does with each file of the corpus: refused with this code, or neutralised.
SCAN_REFUSALS = {
    "html_renamed.pdf": "unsupported_type",
    "script.svg": "unsupported_type",
    "scan.pdf.exe": "unsupported_type",
    "archive.zip": "unsupported_type",
    "macro.docm": "unsupported_type",
    "empty.pdf": "empty",
    "html_then_pdf.pdf": "unsupported_type",
    "pdf_html_polyglot.pdf": "trailing_data",
    "bomb.png": "too_many_pixels",
    "encrypted.pdf": "encrypted",
    "javascript.pdf": "active_content",
    "embedded_file.pdf": "active_content",
}
NEUTRALISED = ["png_html_polyglot.png", "exif_gps.jpg"]
HOSTILE_FILES = [*SCAN_REFUSALS, *NEUTRALISED]
# A PDF-only slot refuses every hostile file.
PDF_REFUSALS = {name: "not_pdf" for name in HOSTILE_FILES} | {
    "empty.pdf": "empty", "pdf_html_polyglot.pdf": "trailing_data", "encrypted.pdf": "encrypted",
    "javascript.pdf": "active_content", "embedded_file.pdf": "active_content"}
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
# Every storage key Flow writes: lower-case letters, digits, "/", "-", "." and "_" (UPL-03).
# (Django's storage adds "_" and 7 random letters of both cases when a name is taken.)
SAFE_KEY = re.compile(r"^[A-Za-z0-9/._-]+$")
APPLICATION_KEY = re.compile(r"^applications/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg)$")
EICAR = (r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*").encode()


def hostile(name: str, upload_name: str | None = None) -> SimpleUploadedFile:
    """A fresh upload of the corpus file `name` (a file object is read once)."""
    return SimpleUploadedFile(upload_name or name, (HOSTILE / name).read_bytes(), content_type="application/pdf")


def assert_russian(error: ValidationError, *fragments: str) -> None:
    for message in error.messages:
        assert CYRILLIC.search(message), message
    for fragment in fragments:
        assert any(fragment in message for message in error.messages), (fragment, error.messages)


def _refusal(validate, name) -> list[str]:
    """The messages the validator itself gives for the corpus file `name` (or list of names)."""
    with pytest.raises(ValidationError) as error:
        validate([hostile(item) for item in name] if isinstance(name, list) else hostile(name))
    return error.value.messages


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    """Staff log in by password here: this module is about files, not AUTH-06."""
    settings.TWO_FACTOR_MANDATORY = False


@pytest.fixture
def application(citizen):
    return citizen_application(citizen)


@pytest.fixture
def replacing_staff(partner_a):
    return MembershipFactory(organization=partner_a, user=UserFactory(),
                             can_replace_citizen_documents=True).user


# The corpus itself ----------------------------------------------------------------------------

def _make_corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_corpus_is_what_the_script_writes():
    module = _make_corpus_module()
    written = module.corpus()
    assert set(written) == set(HOSTILE_FILES) | {"clean.pdf", "clean.png", "clean.jpg"}
    for name, data in written.items():
        if name != "encrypted.pdf":  # pypdf salts the encryption keys
            assert (HOSTILE / name).read_bytes() == data, name
    assert NAMES == module.NAMES


def test_the_bomb_is_tiny_on_disk_and_declares_fifty_thousand_pixels_square():
    data = (HOSTILE / "bomb.png").read_bytes()
    assert len(data) < 1024
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (50_000, 50_000)


def test_the_gps_fixture_really_carries_gps():
    gps = Image.open(HOSTILE / "exif_gps.jpg").getexif().get_ifd(0x8825)
    assert gps[2] == (56.0, 29.0, 4.0)


# Validators: every slot type against the whole corpus (UPL-01, UPL-02, UPL-07) -----------------

@pytest.mark.parametrize("name", list(SCAN_REFUSALS))
def test_a_scan_slot_refuses_it_in_russian_naming_the_file(name):
    with pytest.raises(ValidationError) as error:
        validate_scan_files([hostile(name)])
    assert error.value.code == SCAN_REFUSALS[name]
    assert_russian(error.value, f"«{name}»")


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_pdf_slot_refuses_it_in_russian(name):
    with pytest.raises(ValidationError) as error:
        validate_pdf_file(hostile(name))
    assert error.value.code == PDF_REFUSALS[name]
    assert_russian(error.value)


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_signature_slot_refuses_it_in_russian(name):
    with pytest.raises(ValidationError) as error:
        validate_signature_file(hostile(name))
    assert error.value.code == ("empty" if name == "empty.pdf" else "not_cms")
    assert_russian(error.value)


def test_a_png_with_html_appended_is_stored_as_a_clean_png():
    scan = validate_scan_files([hostile("png_html_polyglot.png")])
    assert scan.extension == "png"
    assert b"<script" not in scan.data
    assert scan.data.endswith(b"IEND\xaeB`\x82")  # nothing after the image
    assert Image.open(io.BytesIO(scan.data)).size == (64, 48)


def test_the_bomb_is_refused_within_the_time_budget():
    started = time.perf_counter()
    with pytest.raises(ValidationError):
        validate_scan_files([hostile("bomb.png")])
    assert time.perf_counter() - started < 1.0


def test_a_multi_page_upload_is_refused_whole_when_one_page_is_hostile():
    with pytest.raises(ValidationError) as error:
        validate_scan_files([hostile("clean.png"), hostile("javascript.pdf")])
    assert error.value.code == "active_content"


# Entry points: refused, nothing stored --------------------------------------------------------

def _nothing_stored(before: set[str]) -> None:
    assert stored_names() == before


def _assert_form_refusal(errors: list[str], name: str) -> None:
    """A Russian error next to the field, naming the file (an empty file is refused by Django's
    own FileField first, with its own Russian message)."""
    assert errors
    assert all(CYRILLIC.search(error) for error in errors), errors
    if name == "empty.pdf":
        assert "пуст" in " ".join(errors)
    else:
        assert any(f"«{name}»" in error for error in errors), errors


@pytest.mark.parametrize("name", list(SCAN_REFUSALS))
def test_the_citizen_cabinet_form_refuses_it_and_stores_nothing(client, application, citizen, name):
    client.force_login(citizen)
    before = stored_names()

    response = client.post(reverse("cabinet:personal_save", args=[application.pk]),
                           {"work_status": "none", "passport_main": hostile(name)})

    assert response.status_code == 200
    _assert_form_refusal(response.context["personal_form"].errors["passport_main"], name)
    assert not ApplicationDocument.objects.exists()
    _nothing_stored(before)


@pytest.mark.parametrize("name", list(SCAN_REFUSALS))
def test_staff_replacing_a_citizen_document_are_refused_through_the_form(client, partner_a, replacing_staff, name):
    application = citizen_application(None, program__partner=partner_a, status=Status.PRIMARY_DOCS_REVIEW)
    client.force_login(replacing_staff)
    before = stored_names()

    response = client.post(reverse("enrollment:document_replace", args=[application.pk]),
                           {"kind": Kind.PASSPORT_MAIN, "files": hostile(name), "reason": "Нечитаемо"})

    assert response.status_code == 200
    _assert_form_refusal(response.context["form"].errors["files"], name)
    assert not ApplicationDocument.objects.filter(application=application).exists()
    _nothing_stored(before)


@pytest.mark.parametrize("name", list(SCAN_REFUSALS))
def test_the_order_scan_form_refuses_it_and_stores_nothing(client, partner_a, campaign, staff_a, name):
    order = OrderFactory(cohort=cohort_of(partner_a, campaign))
    client.force_login(staff_a)
    before = stored_names()

    response = client.post(reverse("orders:order_scan", args=[order.pk]), {"files": hostile(name)})

    assert response.status_code == 200
    _assert_form_refusal(response.context["form"].errors["files"], name)
    assert not OrderScan.objects.exists()
    _nothing_stored(before)


def test_the_contract_signed_by_all_parties_refuses_every_hostile_scan(partner_a, staff_a):
    application = citizen_application(None, program__partner=partner_a, status=Status.PRIMARY_DOCS_REVIEW)
    before = stored_names()
    for name, code in SCAN_REFUSALS.items():
        with pytest.raises(ValidationError) as error:
            document_upload(application=application, kind=Kind.ALL_PARTY_CONTRACT, files=[hostile(name)],
                            actor=staff_a)
        assert error.value.code == code, name
    assert not ApplicationDocument.objects.exists()
    _nothing_stored(before)


def test_the_journal_and_screenshots_refuse_every_hostile_file(monkeypatch, operator_org, partner_a, campaign,
                                                               staff_a):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)
    cohort, _applications = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    before = stored_names()
    for name in HOSTILE_FILES:
        with at(cohort.end_date + dt.timedelta(days=1)), pytest.raises(ValidationError) as error:
            journals.journal_upload(actor=staff_a, cohort=cohort, journal=hostile(name), screenshots=[png_upload()])
        assert error.value.message_dict == {"journal": _refusal(validate_pdf_file, name)}, name
        if name in SCAN_REFUSALS:
            with at(cohort.end_date + dt.timedelta(days=1)), pytest.raises(ValidationError) as error:
                journals.journal_upload(actor=staff_a, cohort=cohort, journal=pdf_upload("journal.pdf"),
                                        screenshots=[hostile(name)])
            assert error.value.message_dict == {"screenshots": _refusal(validate_scan_files, [name])}, name
    assert not JournalPackage.objects.exists()
    assert not JournalFile.objects.exists()
    _nothing_stored(before)


def test_the_act_invoice_and_signature_refuse_every_hostile_file(monkeypatch, operator_org, partner_a, campaign,
                                                                 staff_a, operator_reviewer):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = act_in("approved", staff=staff_a, operator=operator_reviewer, cohort=cohort, applications=applications)
    before = stored_names()
    for name in HOSTILE_FILES:
        if name in SCAN_REFUSALS:
            with at(ACT_DAY), pytest.raises(ValidationError) as error:
                acts.act_sign_by_partner(actor=staff_a, act=act, signature=signature_file(),
                                         invoice_files=[hostile(name)])
            assert error.value.code == SCAN_REFUSALS[name], name
        with at(ACT_DAY), pytest.raises(ValidationError) as error:
            acts.act_sign_by_partner(actor=staff_a, act=act, signature=hostile(name, "act.sig"),
                                     invoice_files=[pdf_upload("счёт.pdf")])
        assert error.value.code in {"not_cms", "empty"}, name
    act.refresh_from_db()
    assert act.status == "approved"
    assert not ActInvoice.objects.filter(act=act).exists()
    assert not Signature.objects.filter(document=act.document).exists()
    _nothing_stored(before)


def test_the_cost_calculation_refuses_every_hostile_file(staff_a, operator_org, partner_a, campaign):
    from programs.models import CostProposal, TrainingContract
    from programs.services.contracts import cost_proposal_create
    from tests.programs.test_contract_support import awaiting_program, contract_in
    from tests.programs.test_cost_proposal_services import fields

    program = awaiting_program(partner_a, campaign)
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner_a, campaign=campaign,
                           operator_org=operator_org, programs=[program])
    before = stored_names()
    for name in HOSTILE_FILES:
        with pytest.raises(ValidationError) as error:
            cost_proposal_create(actor=staff_a, contract=contract, program=program,
                                 calculation_file=hostile(name), **fields())
        assert error.value.code == PDF_REFUSALS[name], name
    assert not CostProposal.objects.exists()
    _nothing_stored(before)


def test_a_contract_signature_refuses_every_hostile_file(staff_a):
    document = ready_document()
    before = stored_names()
    for name in HOSTILE_FILES:
        with pytest.raises(ValidationError):
            signature_store(document=document, party=Signature.Party.PARTNER, file=hostile(name, "contract.sig"),
                            actor=staff_a)
    assert not Signature.objects.exists()
    _nothing_stored(before)


def test_the_withdrawal_request_refuses_every_hostile_scan(partner_a, campaign):
    program = contracted_program(partner_a, campaign)[0]
    cohort = CohortFactory(program=program, start_date=dt.date(2026, 3, 2), end_date=dt.date(2030, 12, 20))
    application = application_for(program, Status.STUDYING, cohort=cohort)
    before = stored_names()
    for name, code in SCAN_REFUSALS.items():
        with pytest.raises(ValidationError) as error:
            withdrawal_request_file(application=application, files=[hostile(name)], actor=application.citizen.user)
        assert error.value.code == code, name
    application.refresh_from_db()
    assert application.status == Status.STUDYING
    assert not WithdrawalRequest.objects.exists()
    _nothing_stored(before)


def test_the_qualification_document_refuses_every_hostile_scan(partner_a, campaign, staff_a):
    program = contracted_program(partner_a, campaign)[0]
    application = application_for(program, Status.QUALIFICATION_DOC_REQUIRED)
    document(application, Kind.ALL_PARTY_CONTRACT, ApplicationDocument.Status.APPROVED)
    before = stored_names()
    for name, code in SCAN_REFUSALS.items():
        with pytest.raises(ValidationError) as error:
            qualification_enter(application=application, actor=staff_a, series="700001", number="0001234",
                                registration_number="ПК-2026/15", issued_on=dt.date(2026, 5, 15),
                                scan_files=[hostile(name)])
        assert error.value.code == code, name
    assert not QualificationDocument.objects.exists()
    _nothing_stored(before)


# Neutralised, and stored under our own name (UPL-03, UPL-07) ----------------------------------

def test_exif_gps_is_absent_after_storage(application, citizen):
    stored = document_upload(application=application, kind=Kind.PHOTO, files=[hostile("exif_gps.jpg")],
                             actor=citizen)

    data = stored.file.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in data
    assert b"PhoneMaker" not in data


@pytest.mark.parametrize(("control", "upload_name"), [
    ("clean.png", "scan\u202efdp.exe"),   # looks like "scanexe.pdf", is an .exe by name
    ("clean.png", "scan.pdf"),              # a picture named as a PDF
    ("clean.pdf", "scan.png"),              # a PDF named as a picture
    ("clean.png", "../../etc/passwd"),      # no extension at all
])
def test_a_name_that_lies_about_the_content_is_refused_and_nothing_stored(application, citizen, control,
                                                                           upload_name):
    before = stored_names()
    with pytest.raises(ValidationError) as refused:
        document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                        files=[hostile(control, upload_name)], actor=citizen)
    assert refused.value.error_list[0].code == "extension_mismatch"
    assert_russian(refused.value, "не соответствует")
    assert not ApplicationDocument.objects.filter(application=application).exists()
    _nothing_stored(before)


def test_the_png_html_polyglot_is_stored_without_its_html(application, citizen):
    stored = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                             files=[hostile("png_html_polyglot.png")], actor=citizen)
    data = stored.file.read()
    assert b"<script" not in data
    assert stored.content_type == "image/png"


def _matching_control(upload_name: str) -> str:
    """The clean file whose type the name's extension claims (a name without one gets a PNG)."""
    return "clean.pdf" if upload_name.lower().endswith(".pdf") else "clean.png"


@pytest.mark.parametrize("key", list(NAMES))
def test_the_storage_key_is_ours_whatever_the_name(application, citizen, key):
    name = NAMES[key] if NAMES[key].lower().endswith((".pdf", ".png")) else NAMES[key] + ".png"
    stored = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                             files=[hostile(_matching_control(name), name)], actor=citizen)
    assert APPLICATION_KEY.match(stored.file.name), stored.file.name
    assert SAFE_KEY.match(stored.file.name)
    assert default_storage.exists(stored.file.name)


@pytest.mark.parametrize("key", ["traversal", "nul", "rtl_override", "long"])
def test_other_slots_store_under_our_names_too(partner_a, campaign, staff_a, key):
    from orders.services.orders import order_scan_replace

    order = OrderFactory(cohort=cohort_of(partner_a, campaign))
    name = NAMES[key] if NAMES[key].lower().endswith(".pdf") else NAMES[key] + ".pdf"
    scan = order_scan_replace(actor=staff_a, order=order, files=[hostile("clean.pdf", name)])
    assert re.match(rf"^orders/\d{{4}}/\d{{2}}/order-{order.pk}-v1(_[A-Za-z0-9]{{7}})?\.pdf$", scan.file.name), \
        scan.file.name
    assert SAFE_KEY.match(scan.file.name)


# Downloads (UPL-06) ---------------------------------------------------------------------------

DISPOSITION = re.compile(r"^attachment; filename=\"(?P<fallback>[A-Za-z0-9._\-()+ ]+)\"; "
                         r"filename\*=utf-8''(?P<encoded>[A-Za-z0-9!#$&+\-.^_`|~%]+)$")


def _check_disposition(value: str) -> str:
    """The header is one well-formed attachment disposition; returns the decoded UTF-8 name."""
    assert "\r" not in value
    assert "\n" not in value
    match = DISPOSITION.match(value)
    assert match, value
    name = unquote(match["encoded"], errors="strict")
    assert not any(ch in name for ch in "/\\\0\r\n\u202e")
    assert len(name) <= 150
    return name


@pytest.mark.parametrize("key", list(NAMES))
def test_a_hostile_name_gives_a_well_formed_disposition_and_no_extra_header(key):
    stored = default_storage.save("tests/download.pdf", ContentFile((HOSTILE / "clean.pdf").read_bytes()))
    field_file = GeneratedDocument(file=stored).file

    response = file_response(field_file, NAMES[key])

    name = _check_disposition(response["Content-Disposition"])
    lines = response.serialize_headers().decode("latin-1").split("\r\n")
    assert len(lines) == len(response.headers)  # no header smuggled in through the name
    assert not [line for line in lines if line.lower().startswith("set-cookie")]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    if key == "cyrillic":
        assert name == "Паспорт гражданина.pdf"
        assert response["Content-Type"] == "application/pdf"
    if key == "long":
        assert name.endswith(".pdf")


def test_the_ascii_fallback_cannot_break_out_of_its_quotes():
    value = attachment_disposition('scan"; filename="evil.html')
    assert _check_disposition(value) == 'scan"; filename="evil.html'
    assert value.count('"') == 2


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_name_at_all_gives_a_well_formed_disposition(name):
    value = attachment_disposition(name)
    decoded = _check_disposition(value)
    HttpResponse()["Content-Disposition"] = value  # Django refuses a header that could split
    kept = [ch for ch in name if ch not in "/\\"]
    if decoded != "document" and len(decoded) < 150:  # nothing was cut: every safe character is kept
        assert set(decoded) <= set(kept) | {"_", " "}


def test_every_download_view_of_an_uploaded_file_is_a_sandboxed_attachment(client, application, citizen, staff_a,
                                                                          partner_a, campaign):
    from orders.services.orders import order_scan_replace

    stored = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                             actor=citizen)
    order = OrderFactory(cohort=cohort_of(partner_a, campaign), number='П-1"; x=\u202e')
    scan = order_scan_replace(actor=staff_a, order=order, files=[hostile("clean.pdf")])
    staff_document = citizen_application(None, program__partner=partner_a, status=Status.PRIMARY_DOCS_REVIEW)
    partner_stored = document_upload(application=staff_document, kind=Kind.ALL_PARTY_CONTRACT,
                                     files=[hostile("clean.pdf")], actor=staff_a)

    client.force_login(citizen)
    downloads = [client.get(reverse("cabinet:document_file", args=[stored.pk]))]
    client.force_login(staff_a)
    downloads += [client.get(reverse("orders:scan_file", args=[scan.pk])),
                  client.get(reverse("enrollment:document_file", args=[partner_stored.pk]))]

    for response in downloads:
        assert response.status_code == 200
        _check_disposition(response["Content-Disposition"])
        assert response["X-Content-Type-Options"] == "nosniff"
        # Some views put back a bare "sandbox" after file_response; either way the sandbox is on.
        assert "sandbox" in [part.strip() for part in response["Content-Security-Policy"].split(";")]
        assert response["Content-Type"] in {"application/pdf", "image/png"}


# Quota per citizen (UPL-02) -------------------------------------------------------------------

def test_the_upload_after_the_count_quota_is_refused_and_stores_nothing(settings, application, citizen,
                                                                        replacing_staff, partner_a):
    settings.CITIZEN_UPLOAD_MAX_FILES = 2
    for _ in range(2):
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                        actor=citizen)
    before = stored_names()

    with pytest.raises(ValidationError) as error:
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                        actor=citizen)

    assert error.value.code == "quota_files"
    assert_russian(error.value, "не более 2 версий документов")
    assert ApplicationDocument.objects.count() == 2
    _nothing_stored(before)


def test_the_count_quota_spans_the_citizens_applications(settings, citizen):
    settings.CITIZEN_UPLOAD_MAX_FILES = 1
    first = citizen_application(citizen)
    document_upload(application=first, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")], actor=citizen)
    Application.objects.filter(pk=first.pk).update(is_active=False)  # an earlier intake, now closed
    second = in_status(ApplicationFactory(citizen=first.citizen), Status.PRIMARY_DOCS_REQUIRED)
    with pytest.raises(ValidationError) as error:
        document_upload(application=second, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")], actor=citizen)
    assert error.value.code == "quota_files"


def test_what_staff_upload_for_the_citizen_does_not_count(settings, partner_a, replacing_staff):
    settings.CITIZEN_UPLOAD_MAX_FILES = 1
    application = citizen_application(None, program__partner=partner_a)
    citizen_user = application.citizen.user
    Application.objects.filter(pk=application.pk).update(status=Status.PRIMARY_DOCS_REVIEW)
    document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                    actor=replacing_staff)
    Application.objects.filter(pk=application.pk).update(status=Status.PRIMARY_DOCS_REQUIRED)
    ApplicationDocument.objects.filter(application=application).update(status=ApplicationDocument.Status.REJECTED)

    stored = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                             actor=citizen_user)

    assert stored.version == 2


def test_the_upload_past_the_total_size_quota_is_refused(settings, application, citizen):
    first = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.pdf")],
                            actor=citizen)
    settings.CITIZEN_UPLOAD_MAX_BYTES = first.size * 2 - 1
    before = stored_names()

    with pytest.raises(ValidationError) as error:
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.pdf")],
                        actor=citizen)

    assert error.value.code == "quota_size"
    assert_russian(error.value, "Превышен общий объём")
    _nothing_stored(before)


def test_the_quota_refusal_reaches_the_citizen_through_the_form(settings, client, application, citizen):
    """Two pages with room for one: the first is stored, the second refused, and the step's
    transaction takes the first back out, file included."""
    settings.CITIZEN_UPLOAD_MAX_FILES = 1
    client.force_login(citizen)
    before = stored_names()

    response = client.post(reverse("cabinet:personal_save", args=[application.pk]),
                           {"work_status": "none", "passport_main": hostile("clean.png"),
                            "passport_registration": hostile("clean.pdf")})

    assert response.status_code == 200
    errors = response.context["personal_form"].non_field_errors()
    assert any("Загружено слишком много файлов: не более 1 версий" in error for error in errors), errors
    assert not ApplicationDocument.objects.exists()
    _nothing_stored(before)


# Anti-virus hook, fail closed (UPL-04) --------------------------------------------------------

def eicar_scanner(data: bytes) -> str | None:
    """A stand-in for clamd: finds the EICAR test string."""
    return "Eicar-Test-Signature" if EICAR in data else None


def unreachable_scanner(data: bytes) -> str | None:
    raise ConnectionRefusedError("clamd is down")


def test_an_infected_upload_is_refused_logged_and_not_stored(settings, caplog, application, citizen):
    settings.UPLOAD_SCANNER = f"{__name__}.eicar_scanner"
    before = stored_names()

    with pytest.raises(ValidationError) as error:
        document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                        files=[SimpleUploadedFile("scan.pdf", EICAR)], actor=citizen)

    assert error.value.code == "infected"
    assert_russian(error.value, "антивирус обнаружил", "Eicar-Test-Signature")
    assert not ApplicationDocument.objects.exists()
    _nothing_stored(before)
    records = [r for r in caplog.records if r.name == "flow.security" and "event=upload.infected" in r.getMessage()]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "scan.pdf" not in records[0].getMessage()


def test_a_scanner_that_is_down_refuses_the_upload(settings, caplog, application, citizen):
    settings.UPLOAD_SCANNER = f"{__name__}.unreachable_scanner"
    before = stored_names()

    with pytest.raises(ValidationError) as error:
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                        actor=citizen)

    assert error.value.code == "scan_unavailable"
    assert_russian(error.value, "Попробуйте загрузить его позже")
    assert not ApplicationDocument.objects.exists()
    _nothing_stored(before)
    assert any("event=upload.scan_unavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_every_slot_is_scanned(settings):
    settings.UPLOAD_SCANNER = f"{__name__}.unreachable_scanner"
    for validate, name in ((lambda f: validate_scan_files([f]), "clean.png"), (validate_pdf_file, "clean.pdf"),
                           (validate_signature_file, "clean.pdf")):
        with pytest.raises(ValidationError) as error:
            validate(hostile(name))
        assert error.value.code == "scan_unavailable"


class FakeClamd:
    """A TCP server speaking clamd's INSTREAM: collects the chunks, answers FOUND for EICAR."""

    def __init__(self, *, reply: bool = True):
        self.reply, self.received = reply, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            with connection:
                self._handle(connection)

    def _read(self, connection, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = connection.recv(size - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _handle(self, connection):
        try:
            assert self._read(connection, 10) == b"zINSTREAM\0"
            stream = b""
            while length := struct.unpack("!L", self._read(connection, 4))[0]:
                stream += self._read(connection, length)
        except (ConnectionError, OSError):
            return
        self.received.append(stream)
        if not self.reply:
            time.sleep(2)
            return
        verdict = b"stream: Eicar-Test-Signature FOUND" if EICAR in stream else b"stream: OK"
        connection.sendall(verdict + b"\0")

    def close(self):
        self.server.close()


@pytest.fixture
def clamd():
    server = FakeClamd()
    yield server
    server.close()


def test_clamd_instream_finds_eicar_and_passes_a_clean_file(settings, clamd, application, citizen):
    settings.UPLOAD_SCANNER = f"clamd://127.0.0.1:{clamd.port}"
    noise = Image.frombytes("RGB", (200, 200), bytes(range(256)) * 468 + bytes(range(192)))
    output = io.BytesIO()
    noise.save(output, "PNG", compress_level=0)
    large = output.getvalue()  # about 120 KB: two 64 KB chunks
    assert len(large) > 64 * 1024

    with pytest.raises(ValidationError) as error:
        validate_scan_files([SimpleUploadedFile("a.pdf", EICAR)])
    assert error.value.code == "infected"
    stored = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                             files=[SimpleUploadedFile("a.png", large)], actor=citizen)

    assert clamd.received == [EICAR, large]
    assert stored.content_type == "image/png"


def test_clamd_refused_or_silent_fails_closed(settings):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.UPLOAD_SCANNER = f"clamd://127.0.0.1:{port}"
    with pytest.raises(ValidationError) as error:
        validate_scan_files([hostile("clean.png")])
    assert error.value.code == "scan_unavailable"

    silent = FakeClamd(reply=False)
    try:
        settings.UPLOAD_SCANNER = f"clamd://127.0.0.1:{silent.port}"
        settings.UPLOAD_SCANNER_TIMEOUT = 0.5
        with pytest.raises(ValidationError) as error:
            validate_scan_files([hostile("clean.png")])
        assert error.value.code == "scan_unavailable"
    finally:
        silent.close()


def test_an_unexpected_clamd_answer_is_not_a_pass():
    scanner = ClamdScanner(host="127.0.0.1", port=1)
    scanner._exchange = lambda data: "INSTREAM size limit exceeded. ERROR"
    with pytest.raises(ScannerUnavailable, match="unexpected clamd reply"):
        scanner(b"data")


# No personal data left in temp files (UPL-08) -------------------------------------------------

@pytest.fixture
def temp_uploads(settings, tmp_path, monkeypatch):
    """Uploads over 1 KB go to temp files in `tmp_path`; returns the paths of those created."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    created = []
    original = TemporaryUploadedFile.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(self.temporary_file_path())

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", recording)
    return tmp_path, created


def test_a_refused_upload_leaves_no_temp_file(client, application, citizen, temp_uploads):
    tmp_path, created = temp_uploads
    client.force_login(citizen)
    payload = (HOSTILE / "html_renamed.pdf").read_bytes() * 200

    response = client.post(reverse("cabinet:personal_save", args=[application.pk]),
                           {"work_status": "none", "passport_main": SimpleUploadedFile("p.pdf", payload)})

    assert response.status_code == 200
    assert created  # the upload really went through a temp file
    assert not list(tmp_path.iterdir())


def test_an_upload_cut_off_midway_leaves_no_temp_file(client, application, citizen, temp_uploads):
    tmp_path, created = temp_uploads
    client.force_login(citizen)
    boundary = "BoUnDaRy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"work_status\"\r\n\r\nnone\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"passport_main\"; filename=\"p.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + (HOSTILE / "clean.png").read_bytes() * 100
    # No closing boundary: the browser went away in the middle of the file.
    response = client.generic("POST", reverse("cabinet:personal_save", args=[application.pk]), body,
                              content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code in {200, 400}
    assert created
    assert not list(tmp_path.iterdir())
    assert not ApplicationDocument.objects.exists()


@pytest.fixture
def empty_storage(settings):
    """A storage of this test's own: the session's in-memory one holds other tests' files."""
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    assert not stored_names()
    return default_storage


def test_the_reconciler_deletes_orphans_and_reports_missing_files(empty_storage, caplog, application, citizen,
                                                                  partner_a, campaign, staff_a):
    from orders.services.orders import order_scan_replace

    kept = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[hostile("clean.png")],
                           actor=citizen)
    scan = order_scan_replace(actor=staff_a, order=OrderFactory(cohort=cohort_of(partner_a, campaign)),
                              files=[hostile("clean.pdf")])
    orphan = empty_storage.save("orders/2026/01/order-999-v1.pdf", ContentFile(b"%PDF-1.4 passport scan"))
    lost = empty_storage.save("applications/2026/01/" + "0" * 32 + ".png", ContentFile(b"png"))
    gone = document_upload(application=application, kind=Kind.PHOTO, files=[hostile("clean.jpg")], actor=citizen)
    empty_storage.delete(gone.file.name)
    later = timezone.now() + dt.timedelta(hours=2)

    assert storage_reconcile(dry_run=True, now=later).deleted == [lost, orphan]
    assert empty_storage.exists(orphan)
    assert storage_reconcile(now=timezone.now()).deleted == []  # still within the grace period

    report = storage_reconcile(now=later)

    assert report.deleted == [lost, orphan]
    assert report.missing == [f"enrollment.ApplicationDocument {gone.pk}: {gone.file.name}"]
    assert stored_names() == {kept.file.name, scan.file.name}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"storage orphan deleted: {orphan} (no row points to it)" in warnings
    # (the file's key may be partly masked in the record: the log filter masks long digit runs)
    assert any(f"enrollment.ApplicationDocument {gone.pk}" in r.getMessage()
               for r in caplog.records if r.levelno == logging.ERROR)


def test_the_reconcile_command_and_the_nightly_task_remove_an_old_orphan(empty_storage, capsys, settings):
    import time_machine
    from django.core.management import call_command

    from enrollment.tasks import storage_reconcile_task

    orphan = empty_storage.save("orders/2026/01/order-998-v1.pdf", ContentFile(b"%PDF-1.4 passport scan"))
    assert settings.CELERY_BEAT_SCHEDULE["storage-reconcile"]["task"] == storage_reconcile_task.name

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        call_command("reconcile_storage", "--dry-run")
        assert f"будет удалён файл без записи: {orphan}" in capsys.readouterr().out
        assert empty_storage.exists(orphan)
        assert storage_reconcile_task.delay().get() == 1
    assert not empty_storage.exists(orphan)
