"""Subject access (PDN-05, 152-FZ art. 14 and 20): everything Flow holds about a citizen, as one
ZIP the citizen downloads from the cabinet, and the SLA of requests received by other channels.

Each app registers what it holds:

    register_subject_data("enrollment", collect=lambda subject_id: SubjectData(records={...}, files=[...]))

`records` is JSON-ready data (written to `data.json` and shown in `index.html`); `files` are
`documents.packages.Entry` objects (the citizen's scans, blanks, orders) copied into the ZIP.
`register_subject_lookup(fn)` tells privacy which citizen a logged-in user is.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.calendar import add_working_days
from documents.packages import Entry, build_zip_file
from privacy.models import ConsentRecord, SubjectAccessRequest

# 152-FZ art. 20 p.1–2: ten working days, extendable once by five with a reasoned notice.
logger = logging.getLogger(__name__)
ANSWER_WORKING_DAYS = 10
EXTENSION_WORKING_DAYS = 5


@dataclass
class SubjectData:
    records: dict = field(default_factory=dict)
    files: list[Entry] = field(default_factory=list)


_collectors: dict[str, Callable[[int], SubjectData]] = {}
_lookups: list[Callable] = []


def register_subject_data(key: str, *, collect: Callable[[int], SubjectData]) -> None:
    _collectors[key] = collect


def register_subject_lookup(lookup: Callable) -> None:
    """`lookup(user)` → the citizen's pk of a logged-in citizen user, or None."""
    if lookup not in _lookups:
        _lookups.append(lookup)


def subject_of(user) -> int | None:
    for lookup in _lookups:
        subject_id = lookup(user)
        if subject_id is not None:
            return subject_id
    return None


def collect(subject_id: int) -> SubjectData:
    """Every app's data about the citizen, plus privacy's own (consents)."""
    data = SubjectData()
    for key, collector in _collectors.items():
        part = collector(subject_id)
        data.records[key] = part.records
        data.files += part.files
    data.records["privacy"] = {"consents": [
        {"purpose": r.get_purpose_display(), "action": r.get_action_display(), "version": r.text_version,
         "sha256": r.text_sha256, "at": r.created_at, "ip": r.ip, "user_agent": r.user_agent}
        for r in ConsentRecord.objects.filter(subject_id=subject_id).order_by("created_at", "pk")]}
    return data


def subject_archive(subject_id: int):
    """(open temporary file, sha256) of the ZIP: index.html, data.json and the files under files/."""
    import json

    data = collect(subject_id)
    generated = timezone.now()
    payload = json.dumps({"generated_at": generated, **data.records}, cls=DjangoJSONEncoder,
                         ensure_ascii=False, indent=2).encode("utf-8")
    sections = [(key, json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
                for key, value in data.records.items()]
    html = render_to_string("privacy/subject_data.html", {"sections": sections, "generated_at": generated,
                                                          "files": [entry.path for entry in data.files]})
    entries = [Entry("index.html", _Bytes(html.encode("utf-8"))), Entry("data.json", _Bytes(payload))]
    entries += [Entry(f"files/{entry.path}", entry.file) for entry in data.files]
    target, digest, _paths = build_zip_file(entries)
    return target, digest


class _Bytes:
    """In-memory content offered to build_zip_file like a stored file."""

    def __init__(self, content: bytes):
        self.content = content
        self.name = ""

    def open(self, mode="rb"):
        import io

        return io.BytesIO(self.content)


# Deadlines in Russian working days after the request is received (152-FZ art. 20, 21).
DUE_WORKING_DAYS = {
    SubjectAccessRequest.Kind.ACCESS: ANSWER_WORKING_DAYS,
    SubjectAccessRequest.Kind.CORRECTION: 7,   # art. 21 p.2: correct and tell the subject
    SubjectAccessRequest.Kind.UNLAWFUL: 3,     # art. 21 p.3: stop the unlawful processing
}
UNLAWFUL_DESTROY_WORKING_DAYS = 10  # art. 21 p.3: what cannot be made lawful is destroyed


def request_register(*, subject_id: int, received_on, kind: str = SubjectAccessRequest.Kind.ACCESS,
                     channel: str = "letter", note: str = "") -> SubjectAccessRequest:
    """A subject's request received on `received_on`, with its legal due day (Russian calendar)."""
    due_on, destroy_by = request_deadlines(kind, received_on)
    return SubjectAccessRequest.objects.create(subject_id=subject_id, kind=kind, received_on=received_on,
                                               channel=channel, note=note, due_on=due_on, destroy_by=destroy_by)


def request_deadlines(kind: str, received_on):
    """(answer by, destroy by — unlawful processing only) for a request received on `received_on`."""
    unlawful = kind == SubjectAccessRequest.Kind.UNLAWFUL
    return (add_working_days(received_on, DUE_WORKING_DAYS[kind]),
            add_working_days(received_on, UNLAWFUL_DESTROY_WORKING_DAYS) if unlawful else None)


def access_request_register(*, subject_id: int, received_on, channel: str = "letter") -> SubjectAccessRequest:
    """A request for the data held: due ten working days later."""
    return request_register(subject_id=subject_id, received_on=received_on, channel=channel)


def access_request_extend(request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Extend an access request once by five working days (the citizen is told why, art. 20 p.2);
    the other kinds have no extension in the law."""
    if request.kind != SubjectAccessRequest.Kind.ACCESS:
        raise ValidationError(_("Срок по запросу этого вида продлить нельзя."), code="no_extension")
    if request.extended_due_on is None:
        request.extended_due_on = add_working_days(request.due_on, EXTENSION_WORKING_DAYS)
        request.save(update_fields=["extended_due_on"])
    return request


@transaction.atomic
def request_answer(*, request: SubjectAccessRequest, note: str = "") -> SubjectAccessRequest:
    """Record that the subject was answered (a request already answered is refused)."""
    locked = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if not can_proceed(locked.answer):
        raise ValidationError(_("На этот запрос уже дан ответ."), code="answered")
    locked.answer()
    if note:
        locked.note = f"{locked.note}\n{note}".strip()
    locked.save()
    return locked


def requests_escalate(today=None) -> int:
    """Beat: requests past their due day and still unanswered are escalated, and the federal
    operator's reviewers get one e-mail listing them (each request is escalated once)."""
    from accounts.models import Membership
    from core.mail import send_templated_mail

    today = today or timezone.localdate()
    with transaction.atomic():
        overdue = list(overdue_requests(today).filter(status=SubjectAccessRequest.Status.RECEIVED)
                       .select_for_update(skip_locked=True))
        for request in overdue:
            request.escalate()
            request.save()
        if not overdue:
            return 0
        lines = "\n".join(f"— {request}: срок {request.deadline:%d.%m.%Y}" for request in overdue)
        logger.warning("privacy: %d subject request(s) overdue and escalated", len(overdue))
        recipients = (Membership.objects.filter(role=Membership.Role.OPERATOR_REVIEWER, is_active=True,
                                                user__is_active=True)
                      .values_list("user__email", flat=True).distinct())
        for email in recipients:
            send_templated_mail(to=email, template="emails/core/notice", context={
                "subject": _("Просрочены запросы субъектов персональных данных: %(count)s") % {"count": len(overdue)},
                "text": _("Не дан ответ в срок по запросам (152-ФЗ, ст. 20, 21):") + "\n" + lines})
    return len(overdue)


def overdue_requests(today):
    """Requests not answered by their (extended) due day: the operator's escalation list."""
    from django.db.models import Q

    return SubjectAccessRequest.objects.exclude(status=SubjectAccessRequest.Status.ANSWERED).filter(
        Q(extended_due_on__isnull=True, due_on__lt=today) | Q(extended_due_on__lt=today))
