"""Reads about documents: who signs a document on a date, a document's signatures, file names.

Visibility is the owner's business (a contract, an application…): an app serves a document only
from its own view, after fetching the owner through `core.access`. Operator reviewers also reach
every file from the admin through `documents.views` (see `may_open_any_document`).
"""
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organization, Signatory
from documents.models import GeneratedDocument, Signature

UNSAFE_FILENAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def signatory_for(*, organization: Organization, document_type: str, on) -> Signatory:
    """Who signs `document_type` for `organization` on date `on` (reference §1.2): a signatory with
    rights for this document type and valid on that date, else the main signatory valid on it.
    Raises a Russian ValidationError when nobody is, so a document is never generated unsigned."""
    valid = list(Signatory.objects.filter(organization=organization, valid_from__lte=on)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
                 .order_by("-is_main", "-valid_from", "pk"))
    for signatory in valid:
        if document_type in (signatory.document_types or []):
            return signatory
    for signatory in valid:
        if signatory.is_main:
            return signatory
    raise ValidationError(
        _("У организации «%(organization)s» нет подписанта, действующего на %(date)s. "
          "Федеральный оператор добавляет подписантов в карточке организации.")
        % {"organization": organization, "date": on.strftime("%d.%m.%Y")}, code="no_signatory")


def signatures_by_party(document: GeneratedDocument | None) -> dict[str, Signature]:
    """{party: Signature} of a document (empty when there is none yet)."""
    if document is None:
        return {}
    return {signature.party: signature for signature in document.signatures.all()}


def download_filename(title: str, extension: str) -> str:
    """A file name the browser may save: the Russian title without path separators and the like."""
    name = UNSAFE_FILENAME_CHARS.sub("_", title).strip(" ._") or "document"
    return f"{name[:150]}.{extension}"


def document_filename(document: GeneratedDocument) -> str:
    """«<title>.pdf», or «<title>.zip» for a package."""
    extension = "zip" if (document.file.name or "").endswith(".zip") else "pdf"
    return download_filename(document.title, extension)


def signature_party_label(signature: Signature) -> str:
    """«подпись ФО» or «подпись ОП»: how a file name says whose signature it is."""
    return _("подпись ФО") if signature.party == Signature.Party.OPERATOR else _("подпись ОП")


def signature_filename(signature: Signature) -> str:
    """«<document title> — подпись ФО.sig»: the party is in the name, the extension is always .sig."""
    return download_filename(f"{signature.document.title} — {signature_party_label(signature)}", "sig")


def may_open_any_document(user) -> bool:
    """Operator reviewers, auditors and ops open any generated document or signature (admin links)."""
    return user.is_authenticated and (user.is_superuser or user.access.sees_all_partners)
