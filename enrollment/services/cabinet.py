"""The citizen's own actions in the cabinet (reference §3.1): switch on notifications, save the
personal and education steps with their scans, upload the signed enrolment documents, report the
originals sent by post, file a withdrawal request, upload an employment proof.

Every service checks that the actor is the application's citizen and that the application is
active, checks every file before storing any, and moves the application on (submit the primary or
enrolment documents) once the set is complete. Refusals are Russian ValidationErrors keyed by
the form field they concern, so a view can put each message next to its field.
"""
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fsm import run_transition
from enrollment import cabinet as rules
from enrollment.models import Application, ApplicationDocument, Citizen, WithdrawalRequest
from enrollment.services import withdrawals
from enrollment.services.uploads import document_store, document_upload, scan_prepare, upload_transaction
from privacy import consent

Kind = ApplicationDocument.Kind
LABOUR_RECORD_MAX_AGE = timedelta(days=14)


def notifications_enable(*, application: Application, actor, consents=(), ip: str | None = None,
                         user_agent: str = "") -> Citizen:
    """Step 1: the citizen consents to processing and to transfer to the partner (each recorded
    with its text's version and hash, PDN-01) and switches notifications on; the next steps open.
    Both consents are required the first time (ValidationError keyed by the form's fields)."""
    _require_owner(application, actor)
    with upload_transaction():
        citizen = Citizen.objects.select_for_update().get(pk=application.citizen_id)
        if citizen.notifications_enabled_at is None:
            consent.consent_give(subject_id=citizen.pk, user=actor, purposes=consents, ip=ip, user_agent=user_agent)
            citizen.notifications_enabled_at = timezone.now()
            citizen.save(update_fields=["notifications_enabled_at", "updated_at"])
            _note(application, actor, "notifications_enable", _("Гражданин включил уведомления."))
    return citizen


def personal_data_save(*, application: Application, actor, data: dict, files: dict) -> Application:
    """Step 2: actual address, work status (and the labour-record extract when employed, dated no
    more than two weeks ago), photo and the two passport pages."""
    citizen = _open_primary_step(application, actor)
    employed = data["work_status"] == Citizen.WorkStatus.EMPLOYED
    required = [Kind.PASSPORT_MAIN, Kind.PASSPORT_REGISTRATION] + ([Kind.LABOUR_RECORD] if employed else [])
    errors = {}
    if files.get(Kind.LABOUR_RECORD):
        errors.update(_labour_record_date_errors(data.get("labour_record_date")))
    scans = _prepare_step(application, files, rules.PERSONAL_KINDS, required, errors)
    with upload_transaction():
        citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
        citizen.actual_address = data.get("actual_address", "").strip()
        citizen.work_status = data["work_status"]
        citizen.vk_url = data.get("vk_url", "")
        citizen.save(update_fields=["actual_address", "work_status", "vk_url", "updated_at"])
        _store(application, actor, scans, {Kind.LABOUR_RECORD: _labour_note(data.get("labour_record_date"))})
        return _submit_primary_if_complete(application, actor)


def education_save(*, application: Application, actor, data: dict, files: dict) -> Application:
    """Step 3: education level and document, with a translation and surname-change documents when
    the citizen ticked that they apply; several photos of one document become one PDF."""
    citizen = _open_primary_step(application, actor)
    required = [Kind.EDUCATION]
    required += [Kind.EDUCATION_TRANSLATION] if data.get("has_translation") else []
    required += [Kind.SURNAME_CHANGE] if data.get("has_surname_change") else []
    scans = _prepare_step(application, files, rules.EDUCATION_KINDS, required, {})
    with upload_transaction():
        citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
        citizen.education_level = data["education_level"]
        citizen.education_document = data["education_document"].strip()
        citizen.education_institution = data.get("education_institution", "").strip()
        citizen.save(update_fields=["education_level", "education_document", "education_institution",
                                    "updated_at"])
        _store(application, actor, scans)
        return _submit_primary_if_complete(application, actor)


def enrolment_docs_upload(*, application: Application, actor, files: dict) -> Application:
    """Step 5: the three signed enrolment documents; once all three are in, they go to the check."""
    _require_owner(application, actor)
    if application.status not in rules.ENROLMENT_OPEN:
        raise ValidationError(_("Документы на зачисление сейчас загрузить нельзя."), code="closed")
    scans = _prepare_step(application, files, rules.ENROLMENT_KINDS, list(rules.ENROLMENT_KINDS), {})
    with upload_transaction():
        _store(application, actor, scans)
        documents = rules.current_documents(application)
        application = Application.objects.get(pk=application.pk)
        if application.status in rules.ENROLMENT_OPEN and rules.enrolment_docs_complete(documents):
            application = run_transition(application, "submit_enrolment_docs", actor=actor)
    return application


def originals_save(*, application: Application, actor, track_number: str, sent_on: date,
                   comment: str = "") -> Application:
    """Step 8: the track number, dispatch date and comment of the originals sent by post; only once
    the enrolment documents are approved and the intention agreement is signed."""
    _require_owner(application, actor)
    if not rules.originals_open(application):
        raise ValidationError(_("Сведения об отправке оригиналов можно указать после подтверждения документов "
                                "на зачисление и подписания договора о намерениях."), code="closed")
    track_number = "".join(track_number.split()).upper()
    if sent_on > timezone.localdate():
        raise ValidationError({"originals_sent_on": _("Дата отправки не может быть в будущем.")})
    with upload_transaction():
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.originals_track_number = track_number
        application.originals_sent_on = sent_on
        application.originals_comment = comment.strip()
        application.save(update_fields=["originals_track_number", "originals_sent_on", "originals_comment",
                                        "updated_at"])
        _note(application, actor, "originals_sent",
              _("Оригиналы отправлены %(date)s, трек-номер %(track)s.")
              % {"date": sent_on.strftime("%d.%m.%Y"), "track": track_number})
    return application


def withdrawal_request_file(*, application: Application, actor, files: list) -> WithdrawalRequest:
    """During training, on the active application: the citizen's signed own-wish withdrawal request
    (enrollment.services.withdrawals does the filing, the deadline and the e-mail)."""
    _require_owner(application, actor)
    if not [file for file in files if file]:
        raise ValidationError(_("Выберите файл подписанного заявления."), code="required")
    if not rules.withdrawal_open(application, timezone.localdate()):
        raise ValidationError(_("Заявление на отчисление можно подать только во время обучения и не позднее чем "
                                "за три рабочих дня до его окончания."), code="closed")
    return withdrawals.withdrawal_request_file(application=application, files=files, actor=actor)


def employment_proof_upload(*, application: Application, actor, files: list) -> ApplicationDocument:
    """After successful completion: a document proving employment. Never changes the status (only
    the РР employment mark does)."""
    _require_owner(application, actor)
    if application.status not in rules.COMPLETED:
        raise ValidationError(_("Документ о трудоустройстве загружается после успешного завершения обучения."),
                              code="closed")
    return document_upload(application=application, kind=Kind.EMPLOYMENT_PROOF, files=files, actor=actor)


# Helpers ---------------------------------------------------------------------------------------

def _is_owner(application: Application, actor) -> bool:
    return actor.is_authenticated and actor.is_citizen and application.citizen.user_id == actor.pk


def _require_owner(application: Application, actor) -> None:
    """The citizen's own, active application; an older one is read-only."""
    if not _is_owner(application, actor):
        raise PermissionDenied
    if not application.is_active:
        raise ValidationError(_("Эта заявка неактивна: её можно только просматривать."), code="inactive")
    if consent.is_blocked(application.citizen_id):
        # After a withdrawal of consent nothing more is collected (152-FZ art. 21 p.5).
        raise ValidationError(_("Вы отозвали согласие на обработку персональных данных: загрузка документов и "
                                "другие действия в кабинете недоступны."), code="consent_withdrawn")


def _open_primary_step(application: Application, actor) -> Citizen:
    _require_owner(application, actor)
    citizen = application.citizen
    if citizen.notifications_enabled_at is None:
        raise ValidationError(_("Сначала включите уведомления (шаг 1)."), code="notifications")
    if application.status not in rules.PRIMARY_OPEN:
        raise ValidationError(_("Первичные документы уже отправлены на проверку: изменить их сейчас нельзя."),
                              code="closed")
    return citizen


def _prepare_step(application, files: dict, kinds, required, errors: dict) -> dict:
    """Check every uploaded file of a step and that each required document is there (uploaded now
    or a usable current version); raise all the messages at once, keyed by document kind."""
    documents = rules.current_documents(application)
    scans = {}
    for kind in kinds:
        uploads = [file for file in files.get(kind) or [] if file]
        if not uploads:
            continue
        if not rules.is_replaceable(documents.get(kind)):
            errors[kind] = _("Документ уже подтверждён, заменить его нельзя.")
            continue
        try:
            scans[kind] = scan_prepare(uploads)
        except ValidationError as error:
            errors[kind] = error.messages
    for kind in required:
        if kind in scans or kind in errors:
            continue
        document = documents.get(kind)
        if document is None:
            errors[kind] = _("Загрузите документ «%(kind)s».") % {"kind": Kind(kind).label}
        elif not rules.is_usable(document):
            errors[kind] = _("Документ отклонён: загрузите исправленный.")
    if errors:
        raise ValidationError(errors)
    return scans


def _store(application, actor, scans: dict, notes: dict | None = None) -> None:
    for kind, scan in scans.items():
        document_store(application=application, kind=kind, scan=scan, actor=actor)
        note = (notes or {}).get(kind)
        if note:
            _note(application, actor, "document_note", note)


def _submit_primary_if_complete(application: Application, actor) -> Application:
    application = Application.objects.select_related("citizen").get(pk=application.pk)
    if application.status in rules.PRIMARY_OPEN and rules.primary_docs_complete(
            application.citizen, rules.current_documents(application)):
        application = run_transition(application, "submit_primary_docs", actor=actor)
    return application


def _labour_record_date_errors(issued_on: date | None) -> dict:
    today = timezone.localdate()
    if issued_on is None:
        return {"labour_record_date": _("Укажите дату формирования выписки.")}
    if issued_on > today:
        return {"labour_record_date": _("Дата выписки не может быть в будущем.")}
    if today - issued_on > LABOUR_RECORD_MAX_AGE:
        return {"labour_record_date": _("Выписка старше двух недель. Закажите новую выписку на Госуслугах "
                                        "и загрузите её.")}
    return {}


def _labour_note(issued_on: date | None) -> str:
    if issued_on is None:
        return ""
    return _("Выписка о трудовой деятельности сформирована %(date)s.") % {"date": issued_on.strftime("%d.%m.%Y")}


def _note(application: Application, actor, transition: str, comment: str) -> None:
    application.events.create(actor=actor, transition=transition, source=application.status,
                              target=application.status, comment=comment)
