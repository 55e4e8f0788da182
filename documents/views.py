"""Serving stored files: always as an attachment, always from a view that has checked access.

`document_response`, `signature_response` and `file_response` are for the owning apps' views
(a contract's PDF is served by `programs:contract_file` after the contract was fetched through
`core.access`). The two views below serve any document or signature to operator reviewers,
auditors and ops: the links in the admin. Everyone else gets 404.
"""
import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from documents.models import GeneratedDocument, Signature
from documents.selectors import document_filename, may_open_any_document, signature_filename

CONTENT_TYPES = {"pdf": "application/pdf", "sig": "application/pkcs7-signature", "zip": "application/zip",
                 "png": "image/png", "jpg": "image/jpeg"}
# Unicode categories dropped from a download's name: control, format, surrogate, private use,
# unassigned; line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
FILENAME_MAX_LENGTH = 150
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
EXTENSION_RE = re.compile(r"^(?P<stem>.+)\.(?P<extension>[A-Za-z0-9]{1,10})$")
ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._\-()+ ]+")


def file_response(field_file, filename: str) -> FileResponse:
    """`field_file` as a download named `filename` (404 when the stored file is gone).

    Every stored file is served the same way (UPL-06), whoever uploaded it: always an attachment,
    named by `attachment_disposition`; the content type from our own extension; `nosniff`, so a
    browser never guesses HTML from the bytes; `Content-Security-Policy: sandbox` (with nothing to
    load and no framing: the site-wide policy is replaced, not added to), so that even a browser that
    renders the file anyway runs it with no scripts, no forms and no same-origin access.
    """
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = safe_filename(filename)
    extension = _split_extension(filename)[1].lower()
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def safe_filename(filename: str) -> str:
    """`filename` without what must never reach a header or a save dialog: control characters (CR,
    LF, NUL), format characters (the right-to-left override U+202E that shows `scan<U+202E>fdp.exe` as
    `scanexe.pdf`), line separators, path separators; at most FILENAME_MAX_LENGTH characters,
    keeping the extension."""
    cleaned = "".join("_" if ch in '/\\' else ch for ch in filename
                      if unicodedata.category(ch) not in UNSAFE_CATEGORIES)
    cleaned = " ".join(cleaned.split()).strip(" .") or "document"
    if len(cleaned) > FILENAME_MAX_LENGTH:
        stem, extension = _split_extension(cleaned)
        suffix = f".{extension}" if extension else ""
        cleaned = stem[:FILENAME_MAX_LENGTH - len(suffix)].rstrip(" .") + suffix
    return cleaned


def _split_extension(filename: str) -> tuple[str, str]:
    """("name", "pdf") for "name.pdf"; ("name", "") when there is no short alphanumeric extension."""
    match = EXTENSION_RE.match(filename)
    return (match["stem"], match["extension"]) if match else (filename, "")


def attachment_disposition(filename: str) -> str:
    """`attachment; filename="<ASCII>"; filename*=utf-8''<percent-encoded UTF-8>` (RFC 6266, RFC 5987):
    browsers use the second, old clients the first. The ASCII name keeps only letters, digits and
    `._-()+` (a `"`, `;` or `\\` cannot end the quoted string or start a new parameter); a name
    that is not all ASCII (a Russian title) falls back to `document.<extension>`."""
    filename = safe_filename(filename)
    stem, extension = _split_extension(filename)
    fallback_stem = ASCII_UNSAFE.sub("_", stem).strip("_ .") if stem.isascii() else ""
    if not re.search(r"[A-Za-z0-9]", fallback_stem):
        fallback_stem = "document"
    fallback = fallback_stem + (f".{extension}" if extension.isascii() and extension else "")
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f'attachment; filename="{fallback}"; filename*=utf-8\'\'{encoded}'


def document_response(document: GeneratedDocument | None) -> FileResponse:
    """A ready generated document's PDF; 404 while it is pending or failed."""
    if document is None or document.status != GeneratedDocument.Status.READY:
        raise Http404
    return file_response(document.file, document_filename(document))


def signature_response(signature: Signature | None) -> FileResponse:
    if signature is None:
        raise Http404
    return file_response(signature.file, signature_filename(signature))


@require_safe
def document_download(request, pk):
    """Any generated document, for operator reviewers, auditors and ops (the admin's links)."""
    if not may_open_any_document(request.user):
        raise Http404
    return document_response(get_object_or_404(GeneratedDocument, pk=pk))


@require_safe
def signature_download(request, pk):
    if not may_open_any_document(request.user):
        raise Http404
    return signature_response(get_object_or_404(Signature.objects.select_related("document"), pk=pk))
