"""Subject access (PDN-05, 152-FZ art. 14 and 20): everything Flow holds about a citizen, as one
ZIP the citizen downloads from the cabinet, and the SLA of requests received by other channels.

Each app registers what it holds:

    register_subject_data("enrollment", collect=lambda subject_id: SubjectData(records={...}, files=[...]))

`records` is JSON-ready data (written to `data.json` and shown in `index.html`); `files` are
`documents.packages.Entry` objects (the citizen's scans, blanks, orders) copied into the ZIP.
`register_subject_lookup(fn)` tells privacy which citizen a logged-in user is.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from core.calendar import add_working_days
from documents.packages import Entry, build_zip_file
from privacy.models import ConsentRecord, SubjectAccessRequest

# 152-FZ art. 20 p.1–2: ten working days, extendable once by five with a reasoned notice.
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


def access_request_register(*, subject_id: int, received_on, channel: str = "letter") -> SubjectAccessRequest:
    """A request received on `received_on`: due ten working days later (Russian calendar)."""
    return SubjectAccessRequest.objects.create(
        subject_id=subject_id, received_on=received_on, channel=channel,
        due_on=add_working_days(received_on, ANSWER_WORKING_DAYS))


def access_request_extend(request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Extend once by five working days (the citizen is told why, art. 20 p.2)."""
    if request.extended_due_on is None:
        request.extended_due_on = add_working_days(request.due_on, EXTENSION_WORKING_DAYS)
        request.save(update_fields=["extended_due_on"])
    return request


def overdue_requests(today):
    """Requests not answered by their (extended) due day: the operator's escalation list."""
    from django.db.models import Q

    return SubjectAccessRequest.objects.filter(answered_at__isnull=True).filter(
        Q(extended_due_on__isnull=True, due_on__lt=today) | Q(extended_due_on__lt=today))
