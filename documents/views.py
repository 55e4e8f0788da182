"""Serving stored files: always as an attachment, always from a view that has checked access.

`document_response`, `signature_response` and `file_response` are for the owning apps' views
(a contract's PDF is served by `programs:contract_file` after the contract was fetched through
`core.access`). The two views below serve any document or signature to operator reviewers,
auditors and ops: the links in the admin. Everyone else gets 404.
"""
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from documents.models import GeneratedDocument, Signature
from documents.selectors import document_filename, may_open_any_document, signature_filename

CONTENT_TYPES = {"pdf": "application/pdf", "sig": "application/pkcs7-signature", "zip": "application/zip",
                 "png": "image/png", "jpg": "image/jpeg"}


def file_response(field_file, filename: str) -> FileResponse:
    """`field_file` as a download named `filename` (404 when the stored file is gone)."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = filename.rsplit(".", 1)[-1].lower()
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(document: GeneratedDocument | None) -> FileResponse:
    """A ready generated document's PDF; 404 while it is pending or failed."""
    if document is None or document.status != GeneratedDocument.Status.READY:
        raise Http404
    return file_response(document.file, document_filename(document))


def signature_response(signature: Signature | None) -> FileResponse:
    if signature is None:
        raise Http404
    return file_response(signature.file, signature_filename(signature))


def document_download(request, pk):
    """Any generated document, for operator reviewers, auditors and ops (the admin's links)."""
    if not may_open_any_document(request.user):
        raise Http404
    return document_response(get_object_or_404(GeneratedDocument, pk=pk))


def signature_download(request, pk):
    if not may_open_any_document(request.user):
        raise Http404
    return signature_response(get_object_or_404(Signature.objects.select_related("document"), pk=pk))
