"""Upload checks by content, never by name or browser-declared type (DESIGN §5).

- `validate_signature_file`: a detached electronic signature (.sig) must be a CMS (PKCS#7)
  SignedData structure, in DER (or BER, as some signing tools write) or in PEM/base64. The ASN.1 is
  walked here, just far enough to know it really is one; nothing is verified cryptographically
  (Russian GOST signatures are checked by the parties' own tools).
- `validate_pdf_file`: a PDF must start with the `%PDF-` magic and open in pypdf with at least one page.

Each returns the file's bytes (already read) so that the caller stores exactly what was checked.
"""
import base64
import binascii
import io
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
    """The whole upload as bytes, refusing an empty or oversized file before reading it all."""
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
    """Refuse anything that is not a readable PDF (magic bytes, then parsed by pypdf) or too large."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    max_size = max_size or settings.MAX_UPLOAD_SIZE
    data = read_upload(file, max_size=max_size)
    not_pdf = ValidationError(_("Файл не является PDF-документом или повреждён. Загрузите файл в формате PDF."),
                              code="not_pdf")
    encrypted = ValidationError(_("PDF-документ защищён паролем. Загрузите файл без пароля."), code="encrypted")
    if b"%PDF-" not in data[:1024]:
        raise not_pdf
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise encrypted
        pages = len(reader.pages)
    except DependencyError:  # AES-encrypted: pypdf would need an extra library to open it
        raise encrypted from None
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError):
        raise not_pdf from None
    if pages < 1:
        raise not_pdf
    return data
