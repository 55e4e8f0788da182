"""What partner staff do to a citizen's application besides checking (reference §3.3): correct the
citizen's data until the enrolment documents are approved, replace an uploaded document (only
staff whose membership "may replace citizen documents"), and upload the contract signed by all
parties when the originals arrive. Every step is logged in the application's history; a replaced
document keeps its old versions (the upload service writes a new version).
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fsm import InvalidTransition, run_transition
from enrollment.models import (
    Application,
    ApplicationBlank,
    ApplicationColumnSet,
    ApplicationDocument,
    ApplicationEvent,
    Citizen,
)
from enrollment.permissions import (
    ALL_PARTY_CONTRACT_OPEN,
    BLANKS_OPEN,
    DATA_EDITABLE,
    is_application_partner,
    may_replace_documents,
)

Kind = ApplicationDocument.Kind
# What the partner may correct (reference §3.3); SNILS and e-mail change only through support.
EDITABLE_FIELDS = (
    "last_name", "first_name", "middle_name", "full_name_dative", "birth_date", "inn", "phone", "extra_phone",
    "registration_address", "actual_address", "postal_address", "passport_series", "passport_number",
    "passport_issued_by", "passport_department_code", "passport_issued_on", "education_level",
    "education_document", "education_institution",
)
# Documents a citizen uploads, which staff with the right may replace (the all-party contract is the partner's own).
REPLACEABLE_KINDS = tuple(k for k in Kind.values if k != Kind.ALL_PARTY_CONTRACT)


def _upload(**kwargs) -> ApplicationDocument:
    from enrollment.services.uploads import document_upload  # the cabinet's upload service

    return document_upload(**kwargs)


def _upload_transaction():
    """An atomic block that also removes the stored upload files should it roll back."""
    from enrollment.services.uploads import upload_transaction

    return upload_transaction()


@transaction.atomic
def citizen_data_correct(*, application: Application, actor, data: dict) -> Citizen:
    """Correct the citizen's data (fields of EDITABLE_FIELDS only) until the enrolment documents
    are approved; the history lists each change, and blanks already generated are rendered again."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not is_application_partner(actor, application):
        raise PermissionDenied
    if application.status not in DATA_EDITABLE:
        raise InvalidTransition(_("Данные гражданина исправляются только до одобрения документов на зачисление. "
                                  "Дальше — через поддержку."), code="data_locked")
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Эти данные сотрудник изменить не может: %(fields)s.")
                              % {"fields": ", ".join(sorted(unknown))}, code="not_editable")
    citizen = Citizen.objects.select_for_update().get(pk=application.citizen_id)
    changes = []
    for name, value in data.items():
        old = getattr(citizen, name)
        if (old or "") != (value or ""):
            field = Citizen._meta.get_field(name)
            changes.append(f"{field.verbose_name}: «{_shown(old)}» → «{_shown(value)}»")
            setattr(citizen, name, value)
    if not changes:
        return citizen
    citizen.full_clean(exclude=["user", "snils", "email", "region"])
    citizen.save()
    ApplicationEvent.objects.create(subject=application, actor=actor, transition="data_correct",
                                    source=application.status, target=application.status, comment="; ".join(changes))
    if application.status in BLANKS_OPEN and ApplicationBlank.objects.filter(application=application).exists():
        from enrollment.services.blanks import blanks_generate

        blanks_generate(application=application, actor=actor)
    return citizen


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


def document_replace(*, application: Application, kind: str, files, actor, reason: str = "") -> ApplicationDocument:
    """Replace a citizen's document with a new version uploaded by staff who may replace citizen
    documents; the old version is kept, the new one waits for a check."""
    with _upload_transaction():
        return _document_replace(application=application, kind=kind, files=files, actor=actor, reason=reason)


def _document_replace(*, application: Application, kind: str, files, actor, reason: str) -> ApplicationDocument:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not may_replace_documents(actor, application):
        raise PermissionDenied
    if kind not in REPLACEABLE_KINDS:
        raise ValidationError(_("Этот документ заменить нельзя."), code="not_replaceable")
    if application.is_final:
        raise InvalidTransition(_("Заявка в статусе «%(status)s»: документы не заменяются.")
                                % {"status": application.get_status_display()}, code="invalid_transition")
    document = _upload(application=application, kind=kind, files=files, actor=actor)
    comment = _("%(kind)s заменён сотрудником, версия %(version)s") % {
        "kind": Kind(kind).label, "version": document.version}
    ApplicationEvent.objects.create(subject=application, actor=actor, transition="document_replace",
                                    source=application.status, target=application.status,
                                    comment=f"{comment}. {reason}".strip() if reason else comment)
    return document


def all_party_contract_upload(*, application: Application, files, actor) -> ApplicationDocument:
    """The partner uploads the contract signed by all parties once the originals have arrived. It is
    the partner's own document: stored approved, as a new version when one was there."""
    with _upload_transaction():
        return _all_party_contract_upload(application=application, files=files, actor=actor)


def _all_party_contract_upload(*, application: Application, files, actor) -> ApplicationDocument:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not is_application_partner(actor, application):
        raise PermissionDenied
    if application.status not in ALL_PARTY_CONTRACT_OPEN:
        raise InvalidTransition(_("Договор, подписанный всеми сторонами, загружается после одобрения документов "
                                  "на зачисление."), code="invalid_transition")
    document = _upload(application=application, kind=Kind.ALL_PARTY_CONTRACT, files=files, actor=actor)
    if document.status == ApplicationDocument.Status.NEW:
        document = run_transition(document, "approve", actor=actor)
        document.checked_by, document.checked_at = actor, timezone.now()
        document.save(update_fields=["checked_by", "checked_at"])
    ApplicationEvent.objects.create(subject=application, actor=actor, transition="all_party_contract_upload",
                                    source=application.status, target=application.status,
                                    comment=_("Договор, подписанный всеми сторонами, версия %(version)s")
                                    % {"version": document.version})
    return document


# The list's saved column sets ---------------------------------------------------------------------

def column_set_save(*, user, name: str, columns: list[str]) -> ApplicationColumnSet:
    """Save (or overwrite, by name) a named set of the applications list's columns for `user`."""
    from enrollment.selectors import column_keys

    name = name.strip()
    if not name:
        raise ValidationError(_("Укажите название набора колонок."), code="no_name")
    column_set, _created = ApplicationColumnSet.objects.update_or_create(
        user=user, name=name[:100], defaults={"columns": column_keys(columns)})
    return column_set


def column_set_delete(*, user, column_set: ApplicationColumnSet) -> None:
    if column_set.user_id != user.pk:
        raise PermissionDenied
    column_set.delete()
