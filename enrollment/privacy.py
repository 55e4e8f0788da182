"""What enrollment tells privacy (see privacy/__init__.py), imported by EnrollmentConfig.ready():

- the pages and downloads that show a citizen's personal data, for the audit trail (LOG-01); the
  generated-document download of documents/ is registered here too, because only enrollment
  knows whose blank a generated document is;
- which citizen a logged-in citizen user is, and how evidence names a citizen (masked, hashed);
- the retention category "enrollment.citizen" and how a citizen's data is destroyed (PDN-03);
- the citizen's data for their own download (PDN-05).
"""
from datetime import timedelta

from django.db.models import Max, Q

from documents.packages import Entry, safe_segment
from enrollment.models import (
    Application,
    ApplicationBlank,
    ApplicationDocument,
    Citizen,
    CitizenMessageRecipient,
    QualificationDocument,
    WithdrawalRequest,
)
from privacy.audit import register_audited_view
from privacy.masking import mask_name, mask_snils
from privacy.retention import Identity, register_identity, register_retention
from privacy.subject_access import SubjectData, register_subject_data, register_subject_lookup

# A citizen's data is kept five years after their last application ended (the federal program's
# accounting records, 402-FZ art. 29); a withdrawal of consent shortens it to 30 days.
CITIZEN_RETENTION = timedelta(days=5 * 365 + 1)


def _first(queryset, field):
    return queryset.values_list(field, flat=True).first()


def _of_application(pk, user):
    return _first(Application.objects.filter(pk=pk), "citizen_id")


def _of_document(pk, user):
    return _first(ApplicationDocument.objects.filter(pk=pk), "application__citizen_id")


def _of_blank(pk, user):
    return _first(ApplicationBlank.objects.filter(pk=pk), "application__citizen_id")


def _of_withdrawal(pk, user):
    return _first(WithdrawalRequest.objects.filter(pk=pk), "application__citizen_id")


def _of_generated_document(pk, user):
    return _first(ApplicationBlank.objects.filter(document_id=pk), "application__citizen_id")


def _of_citizen(pk, user):
    return int(pk) if str(pk).isdigit() else None


def own_citizen(pk, user):
    """The cabinet's downloads are the citizen's own (the view has already scoped them)."""
    return _first(Citizen.objects.filter(user_id=user.pk), "pk")


APPLICATION = "enrollment.application"
DOCUMENT = "enrollment.applicationdocument"
AUDITED = [
    # Partner staff and reviewers.
    ("enrollment:application_list", "read", "enrollment.application_list", None),
    ("enrollment:application_detail", "read", APPLICATION, _of_application),
    ("enrollment:application_edit", "read", APPLICATION, _of_application),
    ("enrollment:document_check", "read", DOCUMENT, _of_document),
    ("enrollment:document_file", "download", DOCUMENT, _of_document),
    ("enrollment:document_preview", "download", DOCUMENT, _of_document),
    ("enrollment:document_replace", "read", APPLICATION, _of_application),
    ("enrollment:blank_file", "download", "enrollment.applicationblank", _of_blank),
    ("enrollment:withdrawal_file", "download", "enrollment.withdrawalrequest", _of_withdrawal),
    ("enrollment:qualification_edit", "read", APPLICATION, _of_application),
    ("enrollment:qualification_file", "download", APPLICATION, _of_application),
    ("documents:download", "download", "documents.generateddocument", _of_generated_document),
    # The citizen's own files.
    ("cabinet:document_file", "download", DOCUMENT, own_citizen),
    ("cabinet:blank_file", "download", "enrollment.applicationblank", own_citizen),
    ("cabinet:withdrawal_file", "download", "enrollment.withdrawalrequest", own_citizen),
    ("cabinet:qualification_file", "download", APPLICATION, own_citizen),
    ("cabinet:withdrawal_form", "download", APPLICATION, own_citizen),
]
ADMIN_AUDITED = [
    ("admin:enrollment_citizen_change", "enrollment.citizen", _of_citizen),
    ("admin:enrollment_application_change", APPLICATION, _of_application),
    ("admin:enrollment_applicationdocument_change", DOCUMENT, _of_document),
    ("admin:enrollment_qualificationdocument_change", "enrollment.qualificationdocument",
     lambda pk, user: _first(QualificationDocument.objects.filter(pk=pk), "application__citizen_id")),
]


def register():
    for url_name, action, object_type, subject in AUDITED:
        register_audited_view(url_name, action, object_type=object_type, subject=subject)
    for url_name, object_type, subject in ADMIN_AUDITED:
        register_audited_view(url_name, "read", object_type=object_type, subject=subject, kwarg="object_id")
    register_subject_lookup(lambda user: _first(Citizen.objects.filter(user_id=user.pk), "pk"))
    register_identity(identify)
    register_retention("enrollment.citizen", title="Граждане, заявки, сканы, бланки, заявления",
                       period=CITIZEN_RETENTION, basis="402-ФЗ ст. 29; 152-ФЗ ст. 21 ч. 5 (отзыв согласия)",
                       expired_subjects=expired_citizens, destroy_subject=destroy_citizen)
    register_subject_data("enrollment", collect=collect)


# Retention ------------------------------------------------------------------------------------

def identify(subject_id: int) -> Identity | None:
    citizen = Citizen.objects.filter(pk=subject_id).only("snils", "last_name", "first_name", "middle_name").first()
    if citizen is None:
        return None
    initials = mask_name(citizen.last_name, citizen.first_name, citizen.middle_name)
    masked = f"{initials}, СНИЛС {mask_snils(citizen.snils)}"
    return Identity(key=f"snils:{citizen.snils}", masked=masked)


def expired_citizens(cutoff) -> list[int]:
    """Citizens none of whose applications is still open, the last one ended before `cutoff`."""
    return list(Citizen.objects.exclude(applications__status__in=Application.PRE_FINAL)
                .annotate(last=Max("applications__updated_at"))
                .filter(Q(last__lt=cutoff) | Q(last__isnull=True, updated_at__lt=cutoff))
                .values_list("pk", flat=True))


def destroy_citizen(subject_id: int) -> dict:
    """Delete the citizen, their applications with everything hanging off them, their outgoing
    e-mails and their account; return the counts and the stored file names to delete after commit.
    Orders and acts (PROTECT) never reach here: they are a legal hold (orders/privacy.py)."""
    from core.models import OutgoingEmail
    from documents.models import GeneratedDocument

    citizen = Citizen.objects.filter(pk=subject_id).select_related("user").first()
    if citizen is None:
        return {"rows": {}, "files": []}
    applications = Application.objects.filter(citizen=citizen)
    qualifications = QualificationDocument.objects.filter(application__in=applications)
    blank_documents = list(ApplicationBlank.objects.filter(application__in=applications)
                           .values_list("document_id", flat=True))
    stored = [(ApplicationDocument.objects.filter(application__in=applications), "file"),
              (WithdrawalRequest.objects.filter(application__in=applications), "file"),
              (qualifications, "scan"), (GeneratedDocument.objects.filter(pk__in=blank_documents), "file")]
    files = [name for queryset, field in stored for name in queryset.values_list(field, flat=True) if name]
    rows: dict[str, int] = {}

    def delete(queryset):
        for model, count in queryset.delete()[1].items():
            if count:
                rows[model] = rows.get(model, 0) + count

    delete(CitizenMessageRecipient.objects.filter(citizen=citizen))
    delete(ApplicationBlank.objects.filter(application__in=applications))
    delete(GeneratedDocument.objects.filter(pk__in=blank_documents))
    delete(qualifications)
    # Documents, events and withdrawal requests go with their application (CASCADE).
    delete(applications)
    delete(OutgoingEmail.objects.filter(to__in={citizen.email, citizen.user.email}))
    user = citizen.user
    delete(Citizen.objects.filter(pk=citizen.pk))
    delete(type(user).objects.filter(pk=user.pk))
    return {"rows": rows, "files": files}


# Subject access --------------------------------------------------------------------------------

CITIZEN_FIELDS = ("last_name", "first_name", "middle_name", "full_name_dative", "birth_date", "snils", "inn",
                  "email", "phone", "extra_phone", "registration_address", "actual_address", "postal_address",
                  "passport_series", "passport_number", "passport_issued_by", "passport_department_code",
                  "passport_issued_on", "education_level", "education_document", "education_institution",
                  "work_status", "vk_url", "notifications_enabled_at", "created_at", "updated_at")


def collect(subject_id: int) -> SubjectData:
    """Everything enrollment holds about the citizen, with their scans, blanks and requests."""
    citizen = Citizen.objects.filter(pk=subject_id).select_related("region").first()
    if citizen is None:
        return SubjectData()
    person = {str(Citizen._meta.get_field(name).verbose_name): getattr(citizen, name) for name in CITIZEN_FIELDS}
    person[str(Citizen._meta.get_field("region").verbose_name)] = str(citizen.region or "")
    # Where the data came from (152-FZ art. 14 p.7.5): the feed records it for the citizens it creates.
    for name in ("source", "basis"):
        person[str(Citizen._meta.get_field(name).verbose_name)] = getattr(citizen, f"get_{name}_display")()
    person[str(Citizen._meta.get_field("received_at").verbose_name)] = citizen.received_at
    applications, files = [], []
    for application in (Application.objects.filter(citizen=citizen)
                        .select_related("program", "partner", "cohort").order_by("submitted_at")):
        folder = safe_segment(application.rr_number)
        applications.append({
            "номер заявки на РР": application.rr_number, "программа": str(application.program),
            "образовательный партнёр": str(application.partner), "поток": str(application.cohort or ""),
            "статус": application.get_status_display(), "подана": application.submitted_at,
            "история": [{"время": e.created_at, "действие": e.transition, "из": e.source, "в": e.target,
                         "комментарий": e.comment} for e in application.events.order_by("created_at", "pk")],
            "документы": [{"вид": d.get_kind_display(), "версия": d.version, "статус": d.get_status_display(),
                           "загружен": d.uploaded_at, "комментарий": d.comment}
                          for d in application.documents.order_by("kind", "version")],
        })
        files += [Entry(f"{folder}/{d.get_kind_display()} v{d.version}.{d.file.name.rsplit('.', 1)[-1]}", d.file)
                  for d in application.documents.all() if d.file]
        files += [Entry(f"{folder}/{b.get_kind_display()}.pdf", b.document.file)
                  for b in application.blanks.select_related("document") if b.document.file]
        files += [Entry(f"{folder}/Заявление на отчисление {w.pk}.{w.file.name.rsplit('.', 1)[-1]}", w.file)
                  for w in application.withdrawal_requests.all() if w.file]
    return SubjectData(records={"гражданин": person, "заявки": applications}, files=files)


register()
