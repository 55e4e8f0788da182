"""Upload checks by content, never by name or browser-declared type (DESIGN §5).

- `validate_signature_file`: a detached electronic signature (.sig) must be a CMS (PKCS#7)
  SignedData structure, in DER (or BER, as some signing tools write) or in PEM/base64. The ASN.1 is
  walked here, just far enough to know it really is one; nothing is verified cryptographically
  (Russian GOST signatures are checked by the parties' own tools).
- `validate_pdf_file`: a PDF must start with the `%PDF-` magic, open in pypdf with at least one page,
  and pass the scanned-PDF checks (no password, scripts, embedded files or data after its end).
- `validate_scan_files` / `validate_scan_file`: a citizen's scan or photo (PDF, JPEG, PNG by magic
  bytes): images re-encoded without metadata, PDFs checked for encryption and active content,
  several files of one document merged into one PDF. Returns a `Scan` (bytes, type, SHA-256).

Each returns the file's bytes (already read, or made safe) so that the caller stores exactly what was checked.
Every upload is read through `read_upload`, which also runs the anti-virus (`documents.scanning`).
"""
import base64
import binascii
import hashlib
import io
import re
import struct
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from documents.scanning import scan_upload

SIGNATURE_MAX_SIZE = 1024 * 1024
# 1.2.840.113549.1.7.2 (id-signedData), DER-encoded OBJECT IDENTIFIER content.
SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")
PEM_RE = re.compile(rb"-----BEGIN (PKCS7|CMS)-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END \1-----\s*\Z")
BASE64_RE = re.compile(rb"\A[A-Za-z0-9+/=\s]+\Z")
ASN1_MAX_DEPTH = 8

# ASN.1 tags (identifier octets) used below.
TAG_INTEGER = 0x02
TAG_OID = 0x06
TAG_SEQUENCE = 0x30
TAG_SET = 0x31
TAG_CONTEXT_0 = 0xA0


class Asn1Error(ValueError):
    """Not well-formed ASN.1 (BER/DER)."""


def read_upload(file, *, max_size: int) -> bytes:
    """The whole upload as bytes, refusing a missing, empty or oversized file before reading it all,
    and a file the anti-virus does not pass (UPL-04)."""
    if not file:
        raise ValidationError(_("Выберите файл."), code="required")
    size = getattr(file, "size", None)
    if size is not None and size > max_size:
        raise _too_large(max_size)
    file.seek(0)
    data = file.read(max_size + 1)
    file.seek(0)
    if not data:
        raise ValidationError(_("Файл пустой."), code="empty")
    if len(data) > max_size:
        raise _too_large(max_size)
    scan_upload(data)  # the anti-virus, fail closed (documents.scanning)
    return data


def _too_large(max_size: int) -> ValidationError:
    return ValidationError(_("Файл слишком большой: допускается не более %(size)s МБ.")
                           % {"size": _megabytes(max_size)}, code="too_large")


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:g}".replace(".", ",")


# Signatures -----------------------------------------------------------------------------------

def validate_signature_file(file) -> bytes:
    """Refuse anything that is not a CMS SignedData (DER, BER or PEM/base64) of at most 1 MB."""
    data = read_upload(file, max_size=SIGNATURE_MAX_SIZE)
    if not is_cms_signed_data(data):
        raise ValidationError(
            _("Файл не является электронной подписью: загрузите открепленную подпись в формате CMS/PKCS#7 "
              "(файл .sig, созданный программой электронной подписи)."), code="not_cms")
    return data


def is_cms_signed_data(data: bytes) -> bool:
    """True when `data` is a ContentInfo whose type is signedData, binary or base64-armoured."""
    for candidate in (data, _unarmour(data)):
        try:
            if candidate and _is_signed_data_der(candidate):
                return True
        except Asn1Error:
            continue
    return False


def _unarmour(data: bytes) -> bytes | None:
    """The binary inside PEM (`-----BEGIN PKCS7-----`/`-----BEGIN CMS-----`) or bare base64."""
    stripped = data.strip()
    match = PEM_RE.match(stripped)
    if match:
        body = match.group("body")
    elif BASE64_RE.match(stripped):
        body = stripped  # CryptoPro and others write base64 without the armour lines
    else:
        return None
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_signed_data_der(der: bytes) -> bool:
    """ContentInfo ::= SEQUENCE { contentType OID signedData, content [0] EXPLICIT SignedData },
    SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, … }; nothing but whitespace after."""
    tag, content, end = _read_tlv(der, 0)
    if tag != TAG_SEQUENCE or der[end:].strip(b"\r\n\t \x00"):
        return False
    children = _children(content)
    if len(children) < 2 or children[0] != (TAG_OID, SIGNED_DATA_OID) or children[1][0] != TAG_CONTEXT_0:
        return False
    explicit = _children(children[1][1])
    if len(explicit) != 1 or explicit[0][0] != TAG_SEQUENCE:
        return False
    signed_data = _children(explicit[0][1])
    return (len(signed_data) >= 4 and signed_data[0][0] == TAG_INTEGER
            and signed_data[1][0] == TAG_SET and signed_data[2][0] == TAG_SEQUENCE)


def _children(content: bytes) -> list[tuple[int, bytes]]:
    """(tag, content) of each element inside a constructed value's content."""
    items, offset = [], 0
    while offset < len(content):
        tag, value, offset = _read_tlv(content, offset)
        items.append((tag, value))
    return items


def _read_tlv(data: bytes, offset: int, depth: int = 0) -> tuple[int, bytes, int]:
    """One BER element at `offset`: (tag, content, offset after it). Supports single-byte tags,
    short and long definite lengths, and indefinite lengths of constructed values."""
    if depth > ASN1_MAX_DEPTH or offset + 2 > len(data):
        raise Asn1Error("truncated")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise Asn1Error("multi-byte tags are not used in CMS")
    offset += 2
    if first == 0x80:  # indefinite length: constructed only, ends with two zero octets
        if not tag & 0x20:
            raise Asn1Error("indefinite primitive")
        start = offset
        while data[offset:offset + 2] != b"\x00\x00":
            _, _, offset = _read_tlv(data, offset, depth + 1)
        return tag, data[start:offset], offset + 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise Asn1Error("bad length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise Asn1Error("truncated")
    return tag, data[offset:offset + length], offset + length


# PDF ------------------------------------------------------------------------------------------

def validate_pdf_file(file, *, max_size: int | None = None) -> bytes:
    """Refuse anything that is not a readable PDF or too large: the file must start with the `%PDF-`
    magic (not merely contain it: HTML followed by a PDF is a polyglot), open in pypdf, and pass the
    same checks as a scanned PDF (`_check_pdf`: no password, no scripts or embedded files, nothing
    after the end of the document). The PDF is kept as uploaded, so what is refused cannot be cleaned."""
    max_size = max_size or settings.MAX_UPLOAD_SIZE
    data = read_upload(file, max_size=max_size)
    not_pdf = ValidationError(_("Файл не является PDF-документом или повреждён. Загрузите файл в формате PDF."),
                              code="not_pdf")
    name = display_name(file)
    if not data.startswith(b"%PDF-"):
        raise not_pdf
    _check_pdf(data, name, not_pdf=not_pdf, max_pages=PDF_MAX_PAGES)
    return data


# Scans (PDF, JPEG, PNG) -----------------------------------------------------------------------
#
# A citizen's scan or phone photo of a paper document. The type is decided by the magic bytes
# alone; the name and the browser's content type are never consulted. Images are decoded and
# re-encoded into a fresh image (EXIF orientation applied), so no metadata, text chunk, ICC
# profile or trailing payload survives. PDFs are kept as uploaded after pypdf has opened them,
# and refused when they are encrypted or carry scripts, launch actions or embedded files.
# Several files of one document become one PDF, one file per page or more.

SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
SCAN_ACCEPT = ",".join(["application/pdf", "image/jpeg", "image/png", ".pdf", ".jpg", ".jpeg", ".png"])
SCAN_MAX_FILES = 10
SCAN_MAX_PAGES = 100
PDF_MAX_PAGES = 1000  # a journal or a cost calculation made by the partner's own software
# Decoded pixels we are willing to hold in memory (a 50 MP photo); larger images are refused, JPEGs
# are first decoded at a reduced scale when they can be.
SCAN_MAX_PIXELS = 50_000_000
# Long side of a stored photo: about 340 dpi on A4, more than enough to read a passport.
SCAN_MAX_SIDE = 4000
A4_LONG_SIDE_INCHES = 11.69
# PDF dictionary keys and action types that make a document do something when opened.
PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
                             "/XFA", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE"})
PDF_WALK_BUDGET = 200_000
# What may follow a PDF's last %%EOF: line ends, and the NUL padding some scanners and mail gateways add.
PDF_PADDING = b" \t\r\n\f\x00"


@dataclass(frozen=True)
class Scan:
    """A checked, normalised scan ready to store: its bytes and what they are."""

    data: bytes
    extension: str  # "pdf", "jpg" or "png": the type the bytes really have

    @property
    def content_type(self) -> str:
        return SCAN_TYPES[self.extension]

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff_scan_type(data: bytes) -> str | None:
    """"pdf", "jpg" or "png" from the first bytes, or None for anything else (HTML, SVG, ZIP…)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def validate_scan_files(files, *, max_size: int | None = None) -> Scan:
    """One document from one or several uploads: a single image is re-encoded in its own format, a
    single PDF is checked and kept; several files are merged into one PDF in the order given.
    Raises a Russian ValidationError naming the file at fault; nothing is written anywhere."""
    files = [file for file in files if file]
    if not files:
        raise ValidationError(_("Выберите файл."), code="required")
    if len(files) > SCAN_MAX_FILES:
        raise ValidationError(_("Слишком много файлов: для одного документа можно загрузить не более %(count)s.")
                              % {"count": SCAN_MAX_FILES}, code="too_many_files")
    if len(files) == 1:
        return validate_scan_file(files[0], max_size=max_size)
    pages = [_as_pdf(validate_scan_file(file, max_size=max_size)) for file in files]
    merged = _merge_pdfs(pages)
    _check_pdf(merged, _("Объединённый документ"))
    return Scan(data=merged, extension="pdf")


def validate_scan_file(file, *, max_size: int | None = None) -> Scan:
    """One upload checked by content and made safe (see the section comment above)."""
    name = display_name(file)
    try:
        data = read_upload(file, max_size=max_size or settings.MAX_UPLOAD_SIZE)
    except ValidationError as error:
        raise _about(name, error) from None
    kind = sniff_scan_type(data)
    if kind is None:
        raise ValidationError(
            _("Файл «%(name)s» не является PDF, JPEG или PNG. Загрузите скан или фотографию документа "
              "в одном из этих форматов.") % {"name": name}, code="unsupported_type")
    _check_extension(clean_name(file), kind, name)
    if kind == "pdf":
        _check_pdf(data, name)
        return Scan(data=data, extension="pdf")
    return _reencode_image(data, kind, name)


# The name's extension must say what the content is (UPL-01): a PDF named `.exe` or `.png`, or a
# picture named `.pdf`, is refused even though the content passed, because whoever opens the
# file later by its name would get something else. JPEG and PNG are one family: both are re-encoded.
SCAN_EXTENSIONS = {"pdf": "pdf", "jpg": "image", "jpeg": "image", "jpe": "image", "jfif": "image", "png": "image"}


def _check_extension(cleaned: str, kind: str, name: str) -> None:
    extension = cleaned.rsplit(".", 1)[-1].lower() if "." in cleaned else ""
    if SCAN_EXTENSIONS.get(extension) != ("pdf" if kind == "pdf" else "image"):
        raise ValidationError(
            _("Имя файла «%(name)s» не соответствует его содержимому (%(kind)s). Сохраните файл с "
              "расширением .pdf, .jpg или .png по его настоящему формату.")
            % {"name": name, "kind": SCAN_TYPES[kind]}, code="extension_mismatch")


def display_name(file) -> str:
    """The upload's own name, for messages only: the last path part, without control characters."""
    cleaned = clean_name(file) or _("без имени")
    return cleaned if len(cleaned) <= 80 else cleaned[:77] + "…"


def clean_name(file) -> str:
    """The upload's name without directories, control or format characters (NUL, CR/LF, the
    right-to-left override U+202E that makes `scan<U+202E>fdp.exe` look like `scanexe.pdf`); may be empty."""
    raw = str(getattr(file, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in raw if ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Co")).strip()


def _about(name: str, error: ValidationError) -> ValidationError:
    return ValidationError(_("Файл «%(name)s»: %(reason)s") % {"name": name, "reason": _lower_first(error.messages[0])},
                           code=error.code)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _reencode_image(data: bytes, kind: str, name: str) -> Scan:
    image = _decode_image(data, kind, name)
    output = io.BytesIO()
    if kind == "jpg":
        image.save(output, "JPEG", quality=90, optimize=True)
    else:
        image.save(output, "PNG")
    return Scan(data=output.getvalue(), extension=kind)


def _decode_image(data: bytes, kind: str, name: str):
    """Fully decode the image, turn it upright, downscale, and copy its pixels into a new image
    that carries nothing else (no EXIF, text chunks, ICC profile or trailing bytes)."""
    not_image = ValidationError(_("Файл «%(name)s» повреждён или не является изображением.") % {"name": name},
                                code="not_image")
    too_big = ValidationError(
        _("Изображение «%(name)s» слишком большое. Уменьшите его или загрузите PDF.") % {"name": name},
        code="too_many_pixels")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG" if kind == "jpg" else "PNG"])
        if kind == "jpg":
            image.draft("RGB", (SCAN_MAX_SIDE, SCAN_MAX_SIDE))  # decode at 1/2…1/8 scale when large
        if image.width * image.height > SCAN_MAX_PIXELS:
            raise too_big
        image.load()
        image = ImageOps.exif_transpose(image)
        image.thumbnail((SCAN_MAX_SIDE, SCAN_MAX_SIDE), Image.Resampling.LANCZOS)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        mode = "RGBA" if has_alpha and kind == "png" else ("L" if image.mode in ("1", "L") else "RGB")
        image = image.convert(mode)
        return Image.frombytes(image.mode, image.size, image.tobytes())
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise too_big from None
    except (OSError, SyntaxError, ValueError, TypeError, struct.error, IndexError, EOFError):
        raise not_image from None


def _as_pdf(scan: Scan) -> bytes:
    """A PDF of the scan: itself, or the (already clean) image on a page about A4 in size."""
    if scan.extension == "pdf":
        return scan.data
    image = Image.open(io.BytesIO(scan.data))
    image.load()
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
        image = background
    resolution = max(72.0, max(image.size) / A4_LONG_SIDE_INCHES)
    output = io.BytesIO()
    image.save(output, "PDF", resolution=resolution, quality=90)
    return output.getvalue()


def _merge_pdfs(parts: list[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(io.BytesIO(part), strict=False).pages:
            writer.add_page(page)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _check_pdf(data: bytes, name: str, *, not_pdf: ValidationError | None = None,
               max_pages: int = SCAN_MAX_PAGES) -> None:
    """pypdf must open it, unencrypted (even with an empty password: the checklist refuses every
    encrypted PDF, UPL-01), with 1…`max_pages` pages, nothing active inside, and nothing but
    padding after its last `%%EOF` (a PDF with an HTML page appended is a polyglot)."""
    encrypted = ValidationError(_("PDF-документ «%(name)s» защищён паролем или ограничениями на печать и "
                                  "копирование. Сохраните его без защиты и загрузите снова.")
                                % {"name": name}, code="encrypted")
    not_pdf = not_pdf or ValidationError(_("Файл «%(name)s» повреждён: PDF-документ не открывается.")
                                         % {"name": name}, code="not_pdf")
    end = data.rfind(b"%%EOF")
    if end < 0:  # pypdf would guess its way through; a well-formed PDF always ends so
        raise not_pdf
    if data[end + len(b"%%EOF"):].strip(PDF_PADDING):
        raise ValidationError(
            _("Файл «%(name)s» содержит посторонние данные после конца PDF-документа. Сохраните документ "
              "в PDF заново (например, через «Печать» → «Сохранить как PDF») и загрузите его.") % {"name": name},
            code="trailing_data")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise encrypted
        pages = len(reader.pages)
        active = _pdf_has_active_content(reader)
    except ValidationError:
        raise
    except DependencyError:
        raise encrypted from None
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError):
        raise not_pdf from None
    if pages < 1:
        raise not_pdf
    if pages > max_pages:
        raise ValidationError(_("В документе «%(name)s» больше %(count)s страниц.") % {"name": name,
                              "count": max_pages}, code="too_many_pages")
    if active:
        raise ValidationError(
            _("PDF-документ «%(name)s» содержит сценарии, вложенные файлы или автоматические действия. "
              "Загрузите простой скан: распечатайте документ в PDF заново или сфотографируйте его.")
            % {"name": name}, code="active_content")


def _pdf_has_active_content(reader) -> bool:
    """Walk every object reachable from the catalogue looking for scripts, launch actions,
    embedded files and forms that submit; a document too large to walk counts as active."""
    stack, seen, budget = [reader.trailer["/Root"]], set(), PDF_WALK_BUDGET
    while stack:
        budget -= 1
        if budget < 0:
            return True
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in PDF_ACTIVE_KEYS or (key == "/S" and isinstance(value, NameObject)
                                              and value in PDF_ACTIVE_KEYS):
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False
