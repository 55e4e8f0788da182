"""Helpers shared by the cabinet and upload tests (no tests here): small real scans (PNG, JPEG, PDF),
uploaded-file wrappers, a citizen with an application in a given state, and what storage holds."""
import io

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from enrollment.models import Application, ApplicationDocument
from tests.enrollment.factories import ApplicationFactory, CitizenFactory

Kind = ApplicationDocument.Kind


def png_bytes(size=(120, 80), color="white", text: dict | None = None) -> bytes:
    image = Image.new("RGB", size, color)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    output = io.BytesIO()
    image.save(output, "PNG", pnginfo=info)
    return output.getvalue()


def jpeg_bytes(size=(120, 80), exif: bytes | None = None) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "white").save(output, "JPEG", **({"exif": exif} if exif else {}))
    return output.getvalue()


def pdf_bytes(pages: int = 1, javascript: str = "", password: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:  # an /OpenAction running JavaScript, nested as a real attack would be
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject(javascript)})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def upload(name: str = "scan.png", data: bytes | None = None, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if data is None else data, content_type=content_type)


def pdf_upload(name: str = "scan.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages), content_type="application/pdf")


def stored_names(path: str = "") -> set[str]:
    """Every file name under `path` in the default storage (InMemoryStorage in tests)."""
    directories, files = default_storage.listdir(path)
    names = {f"{path}/{name}".lstrip("/") for name in files}
    for directory in directories:
        names |= stored_names(f"{path}/{directory}".lstrip("/"))
    return names


def citizen_application(user=None, status=Application.Status.PRIMARY_DOCS_REQUIRED, notified=True,
                        **kwargs) -> Application:
    """An active application of `user` (a citizen user; a new one when None) put straight into `status`."""
    citizen_kwargs = {"user": user, "email": user.email} if user is not None else {}
    citizen = CitizenFactory(notifications_enabled_at=timezone.now() if notified else None, **citizen_kwargs)
    application = ApplicationFactory(citizen=citizen, **kwargs)
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    return application


def add_document(application, kind, status=ApplicationDocument.Status.NEW, comment: str = "", version: int = 1):
    """A current document version of `kind` put straight into `status` (test set-up only)."""
    from tests.enrollment.factories import ApplicationDocumentFactory

    ApplicationDocument.objects.filter(application=application, kind=kind, is_current=True).update(is_current=False)
    document = ApplicationDocumentFactory(application=application, kind=kind, version=version)
    ApplicationDocument.objects.filter(pk=document.pk).update(status=status, comment=comment)
    document.refresh_from_db()
    return document


def primary_set(application, status=ApplicationDocument.Status.NEW):
    for kind in ApplicationDocument.PRIMARY:
        add_document(application, kind, status)
