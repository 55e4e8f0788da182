"""The files of a cohort's reporting documents, served only after their owner was fetched through
core.access: whoever may not see it gets 404 (staff of another partner; the partner before the
operator has signed the assignment), citizens and employment-service reviewers 403. Always an
attachment, nosniff, private; uploaded files (journal, screenshots, invoice) also sandboxed."""
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cohorts.models import Act, Assignment, EmploymentReport, JournalFile, JournalPackage
from cohorts.permissions import may_view_cohorts
from cohorts.services.assignments import assignment_archive
from cohorts.views.common import get_act, get_assignment, get_report
from core.access import filter_for_user, require
from documents.models import Signature
from documents.selectors import download_filename
from documents.views import document_response, file_response, signature_response


def _uploaded(field_file, title: str, content_type: str):
    """A partner's upload: its checked content type, and never rendered by the browser."""
    extension = (field_file.name or "").rsplit(".", 1)[-1].lower()
    response = file_response(field_file, download_filename(title, extension))
    response["Content-Type"] = content_type
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_GET
def assignment_file(request, pk):
    return document_response(get_assignment(request, pk).document)


@require_GET
def assignment_archive_file(request, pk):
    """The final document: a ZIP of the PDF and both signatures, built on the fly."""
    assignment = get_assignment(request, pk)
    try:
        archive = assignment_archive(assignment)
    except (ValidationError, FileNotFoundError):  # the PDF is not ready yet, or its file is gone
        raise Http404 from None
    response = FileResponse(archive, as_attachment=True, content_type="application/zip",
                            filename=download_filename(_("Задание %(number)s") % {"number": assignment.number}, "zip"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def act_file(request, pk):
    return document_response(get_act(request, pk).document)


@require_GET
def act_invoice(request, pk):
    """The act's latest invoice scan."""
    act = get_act(request, pk)
    invoice = act.invoices.order_by("-version").first()
    if invoice is None:
        raise Http404
    return _uploaded(invoice.file, _("Счёт к акту № %(number)s, версия %(version)d")
                     % {"number": act.number, "version": invoice.version}, invoice.content_type)


@require_GET
def act_archive_file(request, pk):
    """The act's document archive, once built."""
    return document_response(get_act(request, pk).archive)


@require_GET
def report_file(request, pk):
    return document_response(get_report(request, pk).document)


@require_GET
def journal_file(request, pk):
    """One file of any version of the cohort's journal package."""
    require(may_view_cohorts(request.user))
    journal = get_object_or_404(JournalFile.objects.select_related("package"), pk=pk)
    if not filter_for_user(JournalPackage.objects.filter(pk=journal.package_id), request.user).exists():
        raise Http404
    if journal.kind == JournalFile.Kind.JOURNAL:
        title = _("Журнал потока %(cohort)s, версия %(version)d")
    else:
        title = _("Скриншот %(position)d потока %(cohort)s, версия %(version)d")
    return _uploaded(journal.file, title % {"cohort": journal.package.cohort_id, "version": journal.version,
                                            "position": journal.position}, journal.content_type)


OWNERS = (Assignment, Act, EmploymentReport)


@require_GET
def signature_file(request, pk):
    """A detached signature of an assignment, act or report the user sees (the partner: not of an
    assignment the operator has not signed yet — there is none then anyway)."""
    require(may_view_cohorts(request.user))
    signature = get_object_or_404(Signature.objects.select_related("document"), pk=pk)
    if not any(filter_for_user(model.objects.filter(document_id=signature.document_id), request.user).exists()
               for model in OWNERS):
        raise Http404
    return signature_response(signature)
