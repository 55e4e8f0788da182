"""Qualification documents (reference §8; §2.1.1 rows 18–19): the partner enters the series, number,
registration number and issue date, and uploads the scan. It needs the completion order (the
application is in `qualification_doc_required` or `qualification_scan_required`; the orders issue
moves it there) and the contract signed by all parties. Data without a scan →
`enter_qualification_data`; with the scan → `enter_qualification_scan` (awaiting employment).
While awaiting employment the data may still be corrected (until the citizen is in an act).
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fsm import InvalidTransition, run_transition
from documents.validators import validate_scan_files
from enrollment.models import Application, ApplicationDocument, ApplicationEvent, QualificationDocument
from enrollment.permissions import QUALIFICATION_OPEN, is_application_partner

Status = Application.Status
FIELDS = ("series", "number", "registration_number", "issued_on")


def has_all_party_contract(application: Application) -> bool:
    return ApplicationDocument.objects.filter(application=application, is_current=True,
                                              kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT).exists()


@transaction.atomic
def qualification_enter(*, application: Application, actor, series: str, number: str, registration_number: str,
                        issued_on, scan_files=None) -> QualificationDocument:
    """Create or correct the qualification document and, with a scan, attach it (a PDF, JPEG or
    PNG checked by content). Moves the application as the module docstring says."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not is_application_partner(actor, application):
        raise PermissionDenied
    if application.status not in QUALIFICATION_OPEN:
        raise InvalidTransition(
            _("Документ о квалификации вносится после приказа об отчислении в связи с успешным завершением "
              "обучения; сейчас заявка в статусе «%(status)s».") % {"status": application.get_status_display()},
            code="invalid_transition")
    if not has_all_party_contract(application):
        raise ValidationError(_("Сначала загрузите договор, подписанный всеми сторонами."), code="no_contract")
    _check_fields(number=number, registration_number=registration_number, issued_on=issued_on)
    scan = validate_scan_files(scan_files) if scan_files else None
    document, created = QualificationDocument.objects.select_for_update().get_or_create(
        application=application, defaults={"number": number.strip(), "registration_number": registration_number.strip(),
                                           "issued_on": issued_on, "entered_by": actor})
    document.series, document.number, document.registration_number = series.strip(), number.strip(), \
        registration_number.strip()
    document.issued_on, document.entered_by = issued_on, actor
    if scan is not None:
        document.scan.save(f"qualification-{application.pk}.{scan.extension}", ContentFile(scan.data), save=False)
    document.save()
    note = _("%(series)s № %(number)s, рег. № %(reg)s от %(date)s") % {
        "series": document.series, "number": document.number, "reg": document.registration_number,
        "date": issued_on.strftime("%d.%m.%Y")}
    if document.scan and application.status != Status.AWAITING_EMPLOYMENT:
        run_transition(application, "enter_qualification_scan", actor=actor, comment=note)
    elif application.status == Status.QUALIFICATION_DOC_REQUIRED:
        run_transition(application, "enter_qualification_data", actor=actor, comment=note)
    else:
        ApplicationEvent.objects.create(subject=application, actor=actor, transition="qualification_update",
                                        source=application.status, target=application.status, comment=note)
    return document


def _check_fields(*, number: str, registration_number: str, issued_on) -> None:
    errors = {}
    if not (number or "").strip():
        errors["number"] = _("Укажите номер документа.")
    if not (registration_number or "").strip():
        errors["registration_number"] = _("Укажите регистрационный номер.")
    if issued_on is None or issued_on > timezone.localdate():
        errors["issued_on"] = _("Дата выдачи не может быть позже сегодняшнего дня.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def qualification_mark_entered(*, actor, document_ids) -> int:
    """Partner staff tick qualification documents whose series and number they have entered on
    Работа России (reference §4.5): they leave the re-keying dashboard; a history row each."""
    ids = {int(pk) for pk in document_ids or ()}
    if not ids:
        raise ValidationError(_("Отметьте хотя бы один документ."), code="empty")
    documents = list(QualificationDocument.objects.select_for_update().select_related("application")
                     .filter(pk__in=ids).order_by("pk"))
    if any(not is_application_partner(actor, document.application) for document in documents):
        raise PermissionDenied
    documents = [document for document in documents if document.rr_entered_at is None]
    now = timezone.now()
    QualificationDocument.objects.filter(pk__in=[d.pk for d in documents]).update(rr_entered_at=now,
                                                                                  rr_entered_by=actor)
    ApplicationEvent.objects.bulk_create([
        ApplicationEvent(subject=d.application, actor=actor, transition="qualification_portal_entered",
                         source=d.application.status, target=d.application.status, created_at=now,
                         comment=_("Документ %(document)s внесён на РР") % {"document": d})
        for d in documents])
    return len(documents)
