"""Uploads are checked by content and made safe (acceptance 3; security UPL-01…03, 07, 08): an HTML
file named .pdf and a 31 MB file are refused with a clear message and nothing stored; a PNG carrying
a script in a text chunk is re-encoded without it; every upload is a new version under a random name."""
import hashlib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from enrollment.models import Application, ApplicationDocument, ApplicationEvent
from enrollment.services.uploads import document_store, document_upload, scan_prepare, upload_transaction
from tests.enrollment.test_cabinet_support import (
    add_document,
    citizen_application,
    jpeg_bytes,
    pdf_bytes,
    pdf_upload,
    png_bytes,
    stored_names,
    upload,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = ApplicationDocument.Kind
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
STORED_KEY = re.compile(r"^applications/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg)$")


@pytest.fixture
def application(citizen):
    return citizen_application(citizen)


def _refused(application, citizen, files, kind=Kind.PASSPORT_MAIN) -> ValidationError:
    before = stored_names()
    with pytest.raises(ValidationError) as error:
        document_upload(application=application, kind=kind, files=files, actor=citizen)
    assert not ApplicationDocument.objects.filter(application=application).exists()
    assert not ApplicationEvent.objects.filter(subject=application, transition="document_upload").exists()
    assert stored_names() == before
    return error.value


# Acceptance 3 ---------------------------------------------------------------------------------

def test_an_html_file_named_pdf_is_refused_and_nothing_is_stored(application, citizen):
    error = _refused(application, citizen, [SimpleUploadedFile("passport.pdf", HTML, "application/pdf")])

    assert error.code == "unsupported_type"
    assert error.messages == ["Файл «passport.pdf» не является PDF, JPEG или PNG. Загрузите скан или фотографию "
                              "документа в одном из этих форматов."]


def test_a_31_megabyte_file_is_refused_and_nothing_is_stored(application, citizen):
    big = SimpleUploadedFile("passport.pdf", pdf_bytes() + b"\0" * (31 * 1024 * 1024), "application/pdf")

    error = _refused(application, citizen, [big])

    assert error.code == "too_large"
    assert error.messages == ["Файл «passport.pdf»: файл слишком большой: допускается не более 30 МБ."]


def test_a_png_with_a_script_in_its_metadata_is_stored_without_it(application, citizen):
    data = png_bytes(text={"Comment": "<script>alert(1)</script>", "Author": "<img src=x onerror=alert(1)>"})
    assert b"tEXt" in data
    assert b"<script>" in data

    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                               files=[upload("passport.png", data)], actor=citizen)

    stored = document.file.read()
    assert stored.startswith(b"\x89PNG")
    assert b"tEXt" not in stored
    assert b"<script>" not in stored
    assert b"onerror" not in stored
    assert Image.open(io.BytesIO(stored)).size == (120, 80)


def test_the_same_refusals_reach_the_citizen_through_the_form(client, application, citizen):
    client.force_login(citizen)
    before = stored_names()

    response = client.post(reverse("cabinet:personal_save", args=[application.pk]), {
        "work_status": "none",
        "passport_main": SimpleUploadedFile("passport.pdf", HTML, "application/pdf"),
        "passport_registration": SimpleUploadedFile("page.png", b"\0" * (31 * 1024 * 1024), "image/png"),
    })

    html = response.content.decode()
    assert response.status_code == 200
    assert "Файл «passport.pdf» не является PDF, JPEG или PNG." in html
    assert "Файл «page.png»: файл слишком большой: допускается не более 30 МБ." in html
    assert next(step for step in response.context["steps"] if step.key == "personal").open  # errors in view
    assert not ApplicationDocument.objects.exists()
    assert stored_names() == before


# Content checks -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data"), [
    ("scan.pdf", b""),
    ("scan.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("scan.pdf.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("scan.zip", b"PK\x03\x04" + b"\0" * 40),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40),          # PNG magic, no image
    ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 40),           # JPEG magic, no image
    ("scan.pdf", b"%PDF-1.7\nthis is not really a pdf\n%%EOF\n"),
])
def test_what_is_not_a_scan_is_refused(application, citizen, name, data):
    _refused(application, citizen, [SimpleUploadedFile(name, data)])


def test_a_pdf_with_javascript_is_refused(application, citizen):
    error = _refused(application, citizen, [SimpleUploadedFile("a.pdf", pdf_bytes(javascript="app.alert(1);"))])
    assert error.code == "active_content"


def test_an_encrypted_pdf_is_refused(application, citizen):
    error = _refused(application, citizen, [SimpleUploadedFile("a.pdf", pdf_bytes(password="secret"))])
    assert error.code == "encrypted"
    assert "защищён паролем" in error.messages[0]


def test_a_decompression_bomb_is_refused(application, citizen):
    output = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(output, "PNG")  # 400 Mpx in a few kilobytes
    error = _refused(application, citizen, [SimpleUploadedFile("bomb.png", output.getvalue())])
    assert error.code == "too_many_pixels"


def test_exif_is_stripped_and_the_photo_turned_upright(application, citizen):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    data = jpeg_bytes(size=(160, 90), exif=exif.tobytes())

    document = document_upload(application=application, kind=Kind.PHOTO, files=[upload("me.jpg", data)],
                               actor=citizen)

    image = Image.open(io.BytesIO(document.file.read()))
    assert image.format == "JPEG"
    assert image.size == (90, 160)
    assert not image.getexif()
    assert b"PhoneMaker" not in document.file.read()


def test_several_photos_of_one_document_become_one_pdf(application, citizen):
    files = [upload("1.png", png_bytes()), upload("2.jpg", jpeg_bytes(), "image/jpeg"), pdf_upload(pages=2)]

    document = document_upload(application=application, kind=Kind.EDUCATION, files=files, actor=citizen)

    assert document.content_type == "application/pdf"
    assert document.file.name.endswith(".pdf")
    assert len(PdfReader(io.BytesIO(document.file.read())).pages) == 4


def test_a_declared_type_is_never_trusted(application, citizen):
    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                               files=[SimpleUploadedFile("passport.png", png_bytes(), "application/pdf")],
                               actor=citizen)
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


# Versions, names, rights ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../etc/passwd.png", "a\x00.png", "evil\u202eexe.png", "я" * 300 + ".png"])
def test_the_stored_name_is_ours(application, citizen, name):
    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload(name)], actor=citizen)
    assert STORED_KEY.match(document.file.name), document.file.name


def test_a_new_upload_is_a_new_version_and_the_old_one_is_kept(application, citizen):
    first = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=citizen)
    data = pdf_bytes(pages=2)
    second = document_upload(application=application, kind=Kind.PASSPORT_MAIN,
                             files=[SimpleUploadedFile("p.pdf", data)], actor=citizen)

    first.refresh_from_db()
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current, second.status) == (2, True, ApplicationDocument.Status.NEW)
    assert default_storage.exists(first.file.name)
    assert second.size == len(data)
    assert second.content_type == "application/pdf"
    assert second.sha256 == hashlib.sha256(data).hexdigest()
    assert second.uploaded_by == citizen
    notes = list(ApplicationEvent.objects.filter(subject=application, transition="document_upload")
                 .values_list("comment", flat=True))
    assert "Загружен документ «Паспорт: основная страница», версия 2." in notes


def test_a_rejected_document_is_uploaded_again_as_a_new_version(application, citizen):
    add_document(application, Kind.PASSPORT_MAIN, ApplicationDocument.Status.REJECTED, comment="Нечитаемо")

    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=citizen)

    assert (document.version, document.status) == (2, ApplicationDocument.Status.NEW)


def test_an_approved_document_cannot_be_replaced_by_the_citizen(application, citizen):
    add_document(application, Kind.PASSPORT_MAIN, ApplicationDocument.Status.APPROVED)
    with pytest.raises(ValidationError, match="уже подтверждён"):
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=citizen)


def test_the_citizen_uploads_only_at_the_step_that_collects_the_document(citizen):
    application = citizen_application(citizen, status=Application.Status.PRIMARY_DOCS_REVIEW)
    with pytest.raises(PermissionDenied):
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=citizen)
    with pytest.raises(PermissionDenied):
        document_upload(application=application, kind=Kind.ENROLMENT_CONTRACT, files=[upload()], actor=citizen)


def test_another_citizen_cannot_upload(application):
    other = citizen_application(None).citizen.user
    with pytest.raises(PermissionDenied):
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=other)


def test_partner_staff_replace_only_with_the_right(partner_a):
    application = citizen_application(None, program__partner=partner_a,
                                      status=Application.Status.PRIMARY_DOCS_REVIEW)
    plain = MembershipFactory(organization=partner_a, user=UserFactory()).user
    allowed = MembershipFactory(organization=partner_a, user=UserFactory(), can_replace_citizen_documents=True).user

    with pytest.raises(PermissionDenied):
        document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=plain)
    document = document_upload(application=application, kind=Kind.PASSPORT_MAIN, files=[upload()], actor=allowed)
    contract = document_upload(application=application, kind=Kind.ALL_PARTY_CONTRACT, files=[pdf_upload()],
                               actor=plain)

    assert document.uploaded_by == allowed
    assert contract.kind == Kind.ALL_PARTY_CONTRACT


def test_a_failed_transaction_leaves_no_file_behind(application, citizen):
    before = stored_names()
    scan = scan_prepare([upload()])

    seen = []

    def store_then_fail():
        with upload_transaction():
            document_store(application=application, kind=Kind.PASSPORT_MAIN, scan=scan, actor=citizen)
            seen.append(stored_names() - before)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store_then_fail()

    assert len(seen[0]) == 1  # the file was written, then removed with the rollback

    assert stored_names() == before
    assert not ApplicationDocument.objects.exists()
