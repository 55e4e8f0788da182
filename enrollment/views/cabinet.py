"""The citizen's cabinet (ЛК слушателя): one phone-first page per application with the nine steps
of reference §3.1, "Мои документы", and the citizen's own files.

Only citizens come in (staff: 403). Every application and file is fetched through `core.access`
narrowed to the citizen's own applications, so another citizen's object is a 404. Each POST calls
one service; a refusal comes back next to its field (the page is rendered again with the bound
form) or as a message. Files are served as attachments only from here.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from core.access import filter_for_user, get_for_user_or_404, require
from core.pdf import render_pdf
from documents.models import GeneratedDocument
from documents.selectors import download_filename
from documents.views import document_response, file_response
from enrollment import cabinet as rules
from enrollment.cabinet_sections import sections_for
from enrollment.forms_cabinet import (
    EducationForm,
    EmploymentProofForm,
    EnrolmentForm,
    NotificationsForm,
    OriginalsForm,
    PersonalForm,
    WithdrawalForm,
)
from enrollment.models import Application, ApplicationBlank, ApplicationDocument, WithdrawalRequest
from enrollment.services import cabinet as services
from privacy.audit import client_ip
from privacy.consent import current_consents, is_blocked

# The cabinet's path from application to qualification document (reference §3.1, seed 001),
# told in the citizen's words. Shown on the cabinet home until applications arrive.
CABINET_STEPS = [
    (gettext_lazy("Заявка на портале «Работа России»"),
     gettext_lazy("Заявка подаётся и подтверждается только на портале «Работа России». После подачи на вашу "
                  "почту придёт письмо со ссылкой для входа в Flow.")),
    (gettext_lazy("Уведомления и личные данные"),
     gettext_lazy("Включите уведомления, проверьте ФИО и адрес, загрузите фото, скан паспорта и сведения "
                  "о трудовой деятельности.")),
    (gettext_lazy("Образование"),
     gettext_lazy("Укажите уровень образования и загрузите документ об образовании; если меняли фамилию — "
                  "документы о смене фамилии.")),
    (gettext_lazy("Проверка документов"),
     gettext_lazy("Образовательная организация проверит документы. Если что-то нужно исправить, вы увидите "
                  "комментарий — исправьте и отправьте снова.")),
    (gettext_lazy("Договор и заявление о зачислении"),
     gettext_lazy("Скачайте бланки договора, согласия на обработку персональных данных и заявления, "
                  "подпишите их и загрузите сканы.")),
    (gettext_lazy("Договор о намерениях и оригиналы"),
     gettext_lazy("Подпишите договор о намерениях на портале «Работа России», затем отправьте оригиналы "
                  "документов почтой и укажите трек-номер.")),
    (gettext_lazy("Обучение"),
     gettext_lazy("После зачисления здесь появится приказ о зачислении, а накануне начала — приглашение "
                  "на образовательную платформу.")),
    (gettext_lazy("Завершение"),
     gettext_lazy("После обучения здесь будут приказ об отчислении и скан документа о квалификации; "
                  "оригинал придёт почтой.")),
]


def _applications(user):
    """The citizen's own applications (tenant scope of core.access, narrowed to the citizen)."""
    require(user.access.is_citizen)
    return (filter_for_user(Application.objects, user).filter(citizen__user=user)
            .select_related("citizen", "program", "cohort", "partner"))


def _application(request, pk) -> Application:
    return get_for_user_or_404(_applications(request.user), request.user, pk=pk)


# Pages ----------------------------------------------------------------------------------------

@require_safe
def cabinet_home(request):
    """The active application's page; before any application, the greeting and the path ahead."""
    applications = _applications(request.user)
    application = applications.filter(is_active=True).first() or applications.first()
    if application is not None:
        return _render_application(request, application)
    user = request.user
    return render(request, "enrollment/cabinet_home.html", {
        "greeting_name": " ".join(p for p in (user.first_name, user.patronymic) if p),
        "steps": [{"title": title, "text": text} for title, text in CABINET_STEPS],
    })


@require_safe
def cabinet_application(request, pk):
    """One application of the citizen's, older ones read-only."""
    return _render_application(request, _application(request, pk))


@require_GET
def cabinet_blanks(request, pk):
    """The enrolment blanks block, polled by htmx while a blank is still being generated."""
    application = _application(request, pk)
    return render(request, "enrollment/partials/cabinet_blanks.html", _blanks_context(application))


# Actions --------------------------------------------------------------------------------------

@require_POST
def cabinet_notifications_enable(request, pk):
    """Step 1: the two consents and notifications; a missing consent comes back next to its box."""
    application = _application(request, pk)
    form = NotificationsForm(request.POST)
    return _save_form(request, application, form, "notifications_form", lambda data, files: (
        services.notifications_enable(application=application, actor=request.user, consents=form.purposes(),
                                      ip=client_ip(request), user_agent=request.headers.get("user-agent", ""))),
        anchor="step-personal")


@require_POST
def cabinet_personal_save(request, pk):
    application = _application(request, pk)
    form = PersonalForm(request.POST, request.FILES)
    return _save_form(request, application, form, "personal_form", lambda data, files: services.personal_data_save(
        application=application, actor=request.user, data=data, files=files), anchor="step-personal")


@require_POST
def cabinet_education_save(request, pk):
    application = _application(request, pk)
    form = EducationForm(request.POST, request.FILES)
    return _save_form(request, application, form, "education_form", lambda data, files: services.education_save(
        application=application, actor=request.user, data=data, files=files), anchor="step-education")


@require_POST
def cabinet_enrolment_upload(request, pk):
    application = _application(request, pk)
    form = EnrolmentForm(request.POST, request.FILES)
    return _save_form(request, application, form, "enrolment_form", lambda data, files: (
        services.enrolment_docs_upload(application=application, actor=request.user, files=files)),
        anchor="step-enrolment")


@require_POST
def cabinet_originals_save(request, pk):
    application = _application(request, pk)
    form = OriginalsForm(request.POST)
    return _save_form(request, application, form, "originals_form", lambda data, files: services.originals_save(
        application=application, actor=request.user, track_number=data["originals_track_number"],
        sent_on=data["originals_sent_on"], comment=data["originals_comment"]), anchor="step-originals")


@require_POST
def cabinet_withdrawal_upload(request, pk):
    application = _application(request, pk)
    form = WithdrawalForm(request.POST, request.FILES)
    return _save_form(request, application, form, "withdrawal_form", lambda data, files: (
        services.withdrawal_request_file(application=application, actor=request.user,
                                         files=data["withdrawal"])), anchor="step-training",
        field_of={"__all__": "withdrawal"})


@require_POST
def cabinet_employment_proof_upload(request, pk):
    application = _application(request, pk)
    form = EmploymentProofForm(request.POST, request.FILES)
    return _save_form(request, application, form, "proof_form", lambda data, files: (
        services.employment_proof_upload(application=application, actor=request.user,
                                         files=data["employment_proof"])), anchor="step-training",
        field_of={"__all__": "employment_proof"})


# Files ----------------------------------------------------------------------------------------

@require_GET
def cabinet_document_file(request, pk):
    """One of the citizen's own uploaded scans (any version); another citizen's: 404."""
    require(request.user.access.is_citizen)
    document = (ApplicationDocument.objects.filter(application__in=_applications(request.user))
                .filter(pk=pk).first())
    if document is None:
        raise Http404
    title = _("%(kind)s, версия %(version)s") % {"kind": document.get_kind_display(), "version": document.version}
    return _attachment(document.file, title, document.content_type)


@require_GET
def cabinet_blank_file(request, pk):
    """A generated enrolment blank of the citizen's own application, once it is ready."""
    require(request.user.access.is_citizen)
    blank = (ApplicationBlank.objects.filter(application__in=_applications(request.user), pk=pk)
             .select_related("document").first())
    if blank is None:
        raise Http404
    return document_response(blank.document)


@require_GET
def cabinet_withdrawal_file(request, pk):
    require(request.user.access.is_citizen)
    withdrawal = WithdrawalRequest.objects.filter(application__in=_applications(request.user), pk=pk).first()
    if withdrawal is None:
        raise Http404
    return _attachment(withdrawal.file, _("Заявление на отчисление"))


@require_GET
def cabinet_qualification_file(request, pk):
    """The scan of the qualification document, when the partner has uploaded it."""
    application = _application(request, pk)
    qualification = getattr(application, "qualification_document", None)
    if qualification is None or not qualification.scan:
        raise Http404
    return _attachment(qualification.scan, _("Документ о квалификации"))


@require_GET
def cabinet_withdrawal_form(request, pk):
    """The own-wish withdrawal request form, filled in with the citizen's and program's data, to
    print, sign and upload (rendered on the spot: one page, no personal data stored)."""
    application = _application(request, pk)
    if not rules.withdrawal_open(application, timezone.localdate()):
        raise Http404
    pdf = render_pdf("enrollment/cabinet_withdrawal_form_pdf.html", {
        "application": application, "citizen": application.citizen, "program": application.program,
        "cohort": application.cohort, "partner": application.partner, "today": timezone.localdate()})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, download_filename(_("Заявление на отчисление — бланк"), "pdf"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    return response


# Helpers --------------------------------------------------------------------------------------

def _act(request, application, call, success: str, anchor: str = ""):
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(_page_url(application, anchor))


def _save_form(request, application, form, form_name: str, call, anchor: str, field_of: dict | None = None):
    """Bind, call the service, and either go back to the page (success) or show the page again with
    each refusal next to its field."""
    if form.is_valid():
        files = {name: form.cleaned_data[name] for name in getattr(form, "FILE_KINDS", ())}
        try:
            result = call(form.cleaned_data, files)
        except ValidationError as error:
            _add_errors(form, error, field_of or {})
        else:
            messages.success(request, _success_message(form_name, application, result))
            return redirect(_page_url(application, anchor))
    return _render_application(request, application, bound={form_name: form})


def _add_errors(form, error: ValidationError, field_of: dict) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            form.add_error(target, errors)
        return
    form.add_error(field_of.get("__all__"), error)


def _success_message(form_name: str, before: Application, result) -> str:
    status = getattr(result, "status", None)
    if status == Application.Status.PRIMARY_DOCS_REVIEW and before.status != status:
        return _("Документы отправлены на проверку. Мы сообщим о результате по электронной почте.")
    if status == Application.Status.ENROLMENT_DOCS_REVIEW and before.status != status:
        return _("Документы на зачисление отправлены на проверку.")
    return {
        "withdrawal_form": _("Заявление на отчисление отправлено. Образовательная организация его рассмотрит."),
        "proof_form": _("Документ о трудоустройстве загружен."),
        "originals_form": _("Сведения об отправке оригиналов сохранены."),
        "notifications_form": _("Уведомления включены. Теперь заполните личные данные."),
    }.get(form_name, _("Сохранено."))


def _page_url(application, anchor: str = "") -> str:
    url = reverse("cabinet:home") if application.is_active else reverse("cabinet:application", args=[application.pk])
    return f"{url}#{anchor}" if anchor else url


def _render_application(request, application, bound: dict | None = None):
    context = _application_context(request.user, application, bound or {})
    return render(request, "enrollment/cabinet_application.html", context)


def _application_context(user, application: Application, bound: dict) -> dict:
    citizen = application.citizen
    documents = rules.current_documents(application)
    steps = rules.cabinet_steps(application, citizen, documents)
    for step in steps:  # a form that came back with errors stays unfolded
        step.open = step.open or any(name in bound for name in STEP_FORMS.get(step.key, ()))
    editable = {step.key: step.editable for step in steps}
    forms = {
        "notifications_form": bound.get("notifications_form") or NotificationsForm(),
        "personal_form": bound.get("personal_form") or PersonalForm.for_citizen(citizen),
        "education_form": bound.get("education_form") or EducationForm.for_citizen(citizen, documents),
        "enrolment_form": bound.get("enrolment_form") or EnrolmentForm(),
        "originals_form": bound.get("originals_form") or OriginalsForm.for_application(application),
        "withdrawal_form": bound.get("withdrawal_form") or WithdrawalForm(),
        "proof_form": bound.get("proof_form") or EmploymentProofForm(),
    }
    required = set(rules.required_primary_kinds(citizen, documents)) | set(rules.ENROLMENT_KINDS)
    slots = {
        f"{name}_slots": _slots(forms[f"{name}_form"], kinds, documents, application, required, editable[name])
        for name, kinds in (("personal", rules.PERSONAL_KINDS), ("education", rules.EDUCATION_KINDS),
                            ("enrolment", rules.ENROLMENT_KINDS))
    }
    today = timezone.localdate()
    cohort = application.cohort
    return {
        "application": application, "citizen": citizen, "steps": steps, **forms, **slots,
        "current_step": rules.current_step(steps),
        "read_only": not application.is_active,
        "other_applications": [a for a in _applications(user) if a.pk != application.pk],
        "primary_rejected": rules.rejected(documents, rules.PERSONAL_KINDS + rules.EDUCATION_KINDS),
        "enrolment_rejected": rules.rejected(documents, rules.ENROLMENT_KINDS),
        "uploaded": [documents[kind] for kind in rules.CITIZEN_KINDS if kind in documents],
        "withdrawal_open": rules.withdrawal_open(application, today),
        "withdrawal_last_day": rules.withdrawal_last_day(cohort.end_date) if cohort else None,
        "withdrawal_requests": list(application.withdrawal_requests.all()),
        "employment_proof_open": application.is_active and application.status in rules.COMPLETED,
        "employment_proofs": list(application.documents.filter(kind=ApplicationDocument.Kind.EMPLOYMENT_PROOF)
                                  .order_by("-version")),
        "qualification": getattr(application, "qualification_document", None),
        "document_sections": sections_for(application),
        "learning_url": rules.learning_platform_url(),
        "consent_texts": current_consents() if not citizen.notifications_enabled_at else [],
        "consent_withdrawn": is_blocked(citizen.pk),
        # The enrolment step's own deadline (set while the upload is the citizen's to do).
        "upload_deadline": next((step.deadline for step in steps if step.key == "enrolment"), None),
        **_blanks_context(application),
    }


# The form of each step, by the name the page context gives it.
STEP_FORMS = {"notifications": ("notifications_form",),
              "personal": ("personal_form",), "education": ("education_form",), "enrolment": ("enrolment_form",),
              "originals": ("originals_form",), "training": ("withdrawal_form", "proof_form")}

# A document asked only when a choice says so: cabinet.js shows it then (all are shown without JS).
SHOW_WHEN = {
    ApplicationDocument.Kind.LABOUR_RECORD: "work_status=employed",
    ApplicationDocument.Kind.EDUCATION_TRANSLATION: "has_translation",
    ApplicationDocument.Kind.SURNAME_CHANGE: "has_surname_change",
}


def _slots(form, kinds, documents, application, required, editable: bool) -> list[dict]:
    """One row per document of a step: its current version (status, comment) and its file field."""
    return [{
        "kind": kind, "field": form[kind], "document": documents.get(kind), "required": kind in required,
        "can_upload": editable and rules.citizen_may_upload(application, kind, documents.get(kind)),
        "show_when": SHOW_WHEN.get(kind, ""),
    } for kind in kinds]


def _blanks_context(application: Application) -> dict:
    order = {kind: index for index, kind in enumerate(rules.ENROLMENT_KINDS)}
    blanks = sorted(application.blanks.select_related("document"), key=lambda blank: order.get(blank.kind, 9))
    statuses = {blank.document.status for blank in blanks}
    waiting = application.status in rules.ENROLMENT_OPEN and (
        len(blanks) < len(rules.ENROLMENT_KINDS) or GeneratedDocument.Status.PENDING in statuses)
    return {"application": application, "blanks": blanks, "blanks_pending": waiting,
            "blanks_failed": GeneratedDocument.Status.FAILED in statuses}


CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def _attachment(field_file, title: str, content_type: str | None = None):
    """A stored file as a download: our own file name, the real content type, and a sandbox CSP in
    case a browser renders it anyway."""
    extension = (field_file.name or "").rsplit(".", 1)[-1].lower()
    response = file_response(field_file, download_filename(title, extension))
    response["Content-Type"] = content_type or CONTENT_TYPES.get(extension, "application/octet-stream")
    response["Content-Security-Policy"] = "sandbox"
    return response
