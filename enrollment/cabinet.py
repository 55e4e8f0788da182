"""The citizen cabinet's steps (reference §3.1) and its rules, computed from an application, its
citizen and the current version of each document. No writes; the only reads are
`current_documents` and the working-day calendar (the withdrawal deadline). Views and services
both ask here, so each rule lives once."""
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from enrollment.models import Application, ApplicationDocument, Citizen
from enrollment.services.deadlines import upload_deadline, withdrawal_last_day

Kind = ApplicationDocument.Kind
Status = Application.Status
DocStatus = ApplicationDocument.Status

# Where the "Войти" button of the training step leads; settings.LEARNING_PLATFORM_URL wins.
LEARNING_PLATFORM_URL = "https://odin.tgu-dpo.ru/"

PERSONAL_KINDS = (Kind.PHOTO, Kind.PASSPORT_MAIN, Kind.PASSPORT_REGISTRATION, Kind.LABOUR_RECORD)
EDUCATION_KINDS = (Kind.EDUCATION, Kind.EDUCATION_TRANSLATION, Kind.SURNAME_CHANGE)
ENROLMENT_KINDS = tuple(ApplicationDocument.ENROLMENT)
CITIZEN_KINDS = (*PERSONAL_KINDS, *EDUCATION_KINDS, *ENROLMENT_KINDS, Kind.EMPLOYMENT_PROOF)
# Documents the citizen adds only when they apply (a ticked box in step 3); once uploaded, they count.
CONDITIONAL_KINDS = (Kind.EDUCATION_TRANSLATION, Kind.SURNAME_CHANGE)
NON_BLOCKING = frozenset({Kind.LABOUR_RECORD})

PRIMARY_OPEN = frozenset({Status.PRIMARY_DOCS_REQUIRED, Status.PRIMARY_DOCS_REJECTED})
ENROLMENT_OPEN = frozenset({Status.ENROLMENT_DOCS_REQUIRED, Status.ENROLMENT_DOCS_REJECTED})
TRAINING = frozenset({Status.STUDYING, Status.WITHDRAWAL_REVIEW, Status.OWN_REQUEST_ORDER_REQUIRED})
# Training is over and went well: the employment proof may be uploaded (reference §3.2).
COMPLETED = frozenset({Status.COMPLETION_ORDER_REQUIRED, Status.QUALIFICATION_DOC_REQUIRED,
                       Status.QUALIFICATION_SCAN_REQUIRED, Status.AWAITING_EMPLOYMENT})

# How far along the cabinet's path each status is (steps 2–3 → 0, check → 1, blanks → 2, …).
STAGE = {
    Status.PRIMARY_DOCS_REQUIRED: 0, Status.PRIMARY_DOCS_REJECTED: 0, Status.PRIMARY_DOCS_REVIEW: 1,
    Status.ENROLMENT_DOCS_REQUIRED: 2, Status.ENROLMENT_DOCS_REJECTED: 2, Status.ENROLMENT_DOCS_REVIEW: 3,
    Status.AWAITING_AGREEMENT: 4, Status.ENROLMENT_ORDER_REQUIRED: 5,
    Status.STUDYING: 6, Status.WITHDRAWAL_REVIEW: 6, Status.OWN_REQUEST_ORDER_REQUIRED: 6,
    Status.FAILURE_ORDER_REQUIRED: 7, Status.COMPLETION_ORDER_REQUIRED: 7, Status.QUALIFICATION_DOC_REQUIRED: 7,
    Status.QUALIFICATION_SCAN_REQUIRED: 7, Status.AWAITING_EMPLOYMENT: 7, Status.EMPLOYED: 7, Status.EXPELLED: 7,
    Status.SERVICE_TERMINATED: -1,
}

DONE, TODO, WAITING, LOCKED = "done", "todo", "waiting", "locked"

# РР lets an application expire when the agreement is not signed by all two days before the start.
AGREEMENT_DAYS_BEFORE_START = timedelta(days=2)


def learning_platform_url() -> str:
    return getattr(settings, "LEARNING_PLATFORM_URL", "") or LEARNING_PLATFORM_URL


# Documents ------------------------------------------------------------------------------------

def current_documents(application: Application) -> dict[str, ApplicationDocument]:
    """{kind: current version} of an application's scans."""
    return {document.kind: document for document in application.documents.filter(is_current=True)}


def is_usable(document: ApplicationDocument | None) -> bool:
    """Uploaded and not rejected: counts towards a complete set."""
    return document is not None and document.status != DocStatus.REJECTED


def is_replaceable(document: ApplicationDocument | None) -> bool:
    """Approval is final (reference §2.3); anything else may be uploaded again."""
    return document is None or document.status != DocStatus.APPROVED


def required_primary_kinds(citizen: Citizen, documents: dict) -> list[str]:
    """Passport pages and education; the labour-record extract when employed; a photo, translation
    or surname-change document once the citizen has uploaded one (it then counts, as in the
    partner's check: enrollment.services.checks.primary_outcome)."""
    kinds = [Kind.PASSPORT_MAIN, Kind.PASSPORT_REGISTRATION, Kind.EDUCATION]
    if citizen.work_status == Citizen.WorkStatus.EMPLOYED:
        kinds.append(Kind.LABOUR_RECORD)
    kinds += [kind for kind in (Kind.PHOTO, *CONDITIONAL_KINDS) if kind in documents]
    return kinds


def primary_docs_complete(citizen: Citizen, documents: dict) -> bool:
    """Everything required is uploaded and none of it rejected (a rejected labour-record extract
    alone never holds the citizen back: reference §2.3)."""
    if not (citizen.work_status and citizen.education_level):
        return False
    return all(documents.get(kind) is not None if kind in NON_BLOCKING else is_usable(documents.get(kind))
               for kind in required_primary_kinds(citizen, documents))


def enrolment_docs_complete(documents: dict) -> bool:
    return all(is_usable(documents.get(kind)) for kind in ENROLMENT_KINDS)


def citizen_may_upload(application: Application, kind: str, current: ApplicationDocument | None) -> bool:
    """Whether the citizen may upload `kind` now: on the active application, at the step where that
    document is collected, and never over an approved version."""
    if not application.is_active or not is_replaceable(current):
        return False
    if kind in PERSONAL_KINDS or kind in EDUCATION_KINDS:
        return application.status in PRIMARY_OPEN
    if kind in ENROLMENT_KINDS:
        return application.status in ENROLMENT_OPEN
    if kind == Kind.EMPLOYMENT_PROOF:
        return application.status in COMPLETED
    return False


def rejected(documents: dict, kinds) -> list[ApplicationDocument]:
    return [documents[kind] for kind in kinds
            if kind in documents and documents[kind].status == DocStatus.REJECTED]


# Originals and withdrawal --------------------------------------------------------------------

def originals_open(application: Application) -> bool:
    """Step 8 opens once the enrolment documents are approved and the intention agreement is signed
    (reference §3.1), and closes when training is over."""
    stage = STAGE.get(application.status, -1)
    return application.is_active and 4 <= stage < 7 and application.agreement_signed_at is not None


def withdrawal_open(application: Application, today: date) -> bool:
    """During training, on the active application, until the last day (the button is hidden in the
    last three working days before the end, the end not counted: end 10 Oct 2024 → last day 6 Oct)."""
    cohort = application.cohort
    return (application.is_active and application.status == Status.STUDYING and cohort is not None
            and today <= withdrawal_last_day(cohort.end_date))


# Steps ----------------------------------------------------------------------------------------

@dataclass
class Step:
    number: int
    key: str
    title: str
    state: str
    note: str = ""
    editable: bool = False
    open: bool = False  # unfolded on the page: the step to do now, or one whose form came back with errors
    deadline: date | None = None  # the last day to do a step that is the citizen's to do

    @property
    def template(self) -> str:
        return f"enrollment/partials/cabinet_step_{self.key}.html"

    @property
    def anchor(self) -> str:
        return f"step-{self.key}"


def cabinet_steps(application: Application, citizen: Citizen, documents: dict) -> list[Step]:
    """The nine steps of reference §3.1 with their state: done, todo (the citizen acts), waiting
    (someone else acts) or locked (not yet)."""
    stage = STAGE.get(application.status, -1)
    notified = citizen.notifications_enabled_at is not None
    open_ = application.is_active and notified
    steps = [
        Step(1, "notifications", _("Уведомления"), DONE if notified else TODO,
             editable=application.is_active and not notified),
        _data_step(2, "personal", _("Личные данные"), citizen, documents, stage, open_, PERSONAL_KINDS),
        _data_step(3, "education", _("Образование"), citizen, documents, stage, open_, EDUCATION_KINDS),
        _primary_check_step(application, stage),
        _enrolment_step(application, stage, open_),
        _enrolment_check_step(application, stage),
        _agreement_step(application, stage),
        _originals_step(application, stage),
        _training_step(application, stage),
    ]
    if not notified:
        for step in steps[1:]:
            if step.state != DONE:
                step.state, step.note = LOCKED, ""
        if steps[1].state == LOCKED:
            steps[1].note = _("Откроется после включения уведомлений.")
    _set_deadlines(steps, application)
    current = current_step(steps)
    if current is not None:
        current.open = True
    return steps


def step_deadlines(start: date) -> dict[str, date]:
    """The last day of each step the citizen does before training (reference §3.4, §2.14): the
    documents, first and signed, by the enrolment-documents upload deadline; the intention
    agreement two days before the start, after which РР lets the application expire."""
    upload = upload_deadline(start)
    return {"personal": upload, "education": upload, "primary_check": upload, "enrolment": upload,
            "enrolment_check": upload, "agreement": start - AGREEMENT_DAYS_BEFORE_START}


def _set_deadlines(steps: list[Step], application: Application) -> None:
    if application.cohort_id is None or not application.is_active:
        return
    deadlines = step_deadlines(application.cohort.start_date)
    for step in steps:
        if step.state == TODO:
            step.deadline = deadlines.get(step.key)


def current_step(steps: list[Step]) -> Step | None:
    return next((step for step in steps if step.state in (TODO, WAITING)), None)


def _data_step(number, key, title, citizen, documents, stage, open_, kinds) -> Step:
    editable = open_ and stage == 0
    if stage >= 1:
        return Step(number, key, title, DONE, editable=False)
    required = [kind for kind in required_primary_kinds(citizen, documents) if kind in kinds]
    filled = bool(citizen.work_status) if key == "personal" else bool(citizen.education_level)
    missing = not filled or any(not is_usable(documents.get(kind)) for kind in required)
    if stage < 0:
        return Step(number, key, title, DONE if not missing else LOCKED)
    if rejected(documents, kinds):
        return Step(number, key, title, TODO, _("Загрузите заново отклонённые документы."), editable=editable)
    return Step(number, key, title, TODO if missing else DONE, editable=editable)


def _primary_check_step(application, stage) -> Step:
    title = _("Проверка документов")
    if stage >= 2:
        return Step(4, "primary_check", title, DONE, _("Документы подтверждены."))
    if stage == 1:
        return Step(4, "primary_check", title, WAITING,
                    _("Образовательная организация проверяет ваши документы. Мы сообщим о результате по почте."))
    if application.status == Status.PRIMARY_DOCS_REJECTED:
        return Step(4, "primary_check", title, TODO,
                    _("Некоторые документы отклонены. Исправьте их в шагах 2 и 3 — комментарий проверяющего "
                      "указан рядом с документом."))
    return Step(4, "primary_check", title, LOCKED,
                _("Когда вы заполните шаги 2 и 3, образовательная организация проверит документы."))


def _enrolment_step(application, stage, open_) -> Step:
    title = _("Договор и заявление о зачислении")
    if stage >= 3:
        return Step(5, "enrolment", title, DONE)
    if stage == 2:
        return Step(5, "enrolment", title, TODO, editable=open_)
    return Step(5, "enrolment", title, LOCKED, _("Бланки появятся после проверки первичных документов."))


def _enrolment_check_step(application, stage) -> Step:
    title = _("Проверка документов на зачисление")
    if stage >= 4:
        return Step(6, "enrolment_check", title, DONE, _("Документы на зачисление подтверждены."))
    if stage == 3:
        return Step(6, "enrolment_check", title, WAITING,
                    _("Образовательная организация проверяет подписанные документы."))
    if application.status == Status.ENROLMENT_DOCS_REJECTED:
        return Step(6, "enrolment_check", title, TODO,
                    _("Некоторые документы отклонены. Загрузите их заново в шаге 5."))
    return Step(6, "enrolment_check", title, LOCKED)


def _agreement_step(application, stage) -> Step:
    title = _("Договор о намерениях на портале «Работа России»")
    if application.agreement_signed_at is not None:
        return Step(7, "agreement", title, DONE, _("Договор о намерениях подписан всеми сторонами."))
    if stage >= 4:
        return Step(7, "agreement", title, TODO,
                    _("Подпишите договор о намерениях в личном кабинете на портале «Работа России». "
                      "Этот шаг отметится сам, когда портал сообщит о подписании."))
    return Step(7, "agreement", title, LOCKED,
                _("Откроется после проверки документов на зачисление."))


def _originals_step(application, stage) -> Step:
    title = _("Отправка оригиналов")
    editable = originals_open(application)
    if application.originals_track_number:
        return Step(8, "originals", title, DONE, editable=editable)
    if editable:
        return Step(8, "originals", title, TODO, editable=True)
    return Step(8, "originals", title, DONE if stage >= 7 else LOCKED,
                "" if stage >= 7 else _("Откроется, когда документы на зачисление будут подтверждены "
                                        "и договор о намерениях подписан."))


def _training_step(application, stage) -> Step:
    title = _("Обучение")
    if application.status in (Status.EXPELLED, Status.FAILURE_ORDER_REQUIRED):
        return Step(9, "training", title, DONE, _("Обучение завершено без документа о квалификации."))
    if stage >= 7:
        return Step(9, "training", title, DONE, _("Обучение завершено."))
    if stage == 6:
        return Step(9, "training", title, TODO)
    return Step(9, "training", title, LOCKED, _("Откроется после приказа о зачислении."))
