"""Retention schedule and the nightly destruction job (PDN-02, PDN-03, PDN-04, LOG-07).

Each category of personal data is registered with its retention period and how its data is
destroyed. Periods are set here, in code, next to their legal basis; an installation may override
one in settings: `PRIVACY_RETENTION_DAYS = {"enrollment.citizen": 1826}`.

| Category                   | Period                                 | Basis / registered by                  |
|----------------------------|----------------------------------------|----------------------------------------|
| enrollment.citizen         | 5 years after the last application     | accounting records of the federal      |
|                            | ended; 30 days after a withdrawal      | program (402-FZ art. 29); 152-FZ       |
|                            | of consent                             | art. 21 p.5 — enrollment/privacy.py    |
| privacy.audit              | 3 years                                | FSTEC РСБ.1, RKN order 179 — here      |
| privacy.consent            | 3 years after the subject's data was   | proof of consent (152-FZ art. 9 p.3)   |
|                            | destroyed                              | — here                                 |
| privacy.evidence           | 3 years                                | RKN order 179 — here                   |
| core.exports               | EXPORT_TTL (7 days)                    | core.tasks.export_expire_task (hourly) |

A subject's data (everything registered with `destroy_subject`) is destroyed in one transaction per
citizen; the files are deleted after the commit, and one `DestructionEvidence` row with a JSON
extract is written in the same transaction, so a crash leaves either the citizen whole or the
citizen gone with evidence, never half-deleted without evidence (R5). Evidence, consent records
and the audit trail are never part of a subject's destruction: they age out on their own periods.

Another legal basis (an order or an act about the citizen: accounting law) is a legal hold,
registered by the app that owns it; a held subject stays blocked and is reconsidered each night.
"""
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from privacy.models import EVIDENCE_RETENTION, AuditEvent, Blocking, ConsentRecord, DestructionEvidence

logger = logging.getLogger("flow.privacy")

JOB_LABEL = "nightly destruction job"


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    period: timedelta
    basis: str
    # Subjects (citizen pks) whose data in this category is past `cutoff` (= now - period).
    expired_subjects: Callable[[datetime], list[int]] | None = None
    # Destroy one subject's rows of this category; return {"rows": {...}, "files": [...]}.
    destroy_subject: Callable[[int], dict] | None = None
    # A category not tied to a subject: delete rows older than `cutoff`; return the count.
    purge: Callable[[datetime], int] | None = None


@dataclass
class Identity:
    """How evidence names a subject: a key (hashed before storing) and a masked label."""

    key: str
    masked: str


@dataclass
class RunReport:
    destroyed: list[int] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)
    purged: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


_categories: dict[str, Category] = {}
_legal_holds: list[Callable[[int], str | None]] = []
_identify: list[Callable[[int], Identity | None]] = []


def register_retention(key: str, *, title: str, period: timedelta, basis: str, expired_subjects=None,
                       destroy_subject=None, purge=None) -> Category:
    category = Category(key, title, period, basis, expired_subjects, destroy_subject, purge)
    _categories[key] = category
    return category


def register_legal_hold(check: Callable[[int], str | None]) -> None:
    """`check(subject_id)` returns why the subject's data must still be kept (or None)."""
    if check not in _legal_holds:
        _legal_holds.append(check)


def register_identity(identify: Callable[[int], Identity | None]) -> None:
    if identify not in _identify:
        _identify.append(identify)


def categories() -> dict[str, Category]:
    return dict(_categories)


def period_of(key: str) -> timedelta:
    overrides = getattr(settings, "PRIVACY_RETENTION_DAYS", {}) or {}
    if key in overrides:
        return timedelta(days=int(overrides[key]))
    return _categories[key].period


def legal_hold(subject_id: int) -> str:
    reasons = [reason for check in _legal_holds if (reason := check(subject_id))]
    return "; ".join(reasons)


def subject_hash(key: str) -> str:
    """A keyed hash: ops can check whether a known SNILS was destroyed, nobody can reverse it
    (11 digits are too few for a plain hash)."""
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def identity_of(subject_id: int) -> Identity:
    for identify in _identify:
        found = identify(subject_id)
        if found is not None:
            return found
    return Identity(key=f"subject:{subject_id}", masked=f"#{subject_id}")


# The job ---------------------------------------------------------------------------------------

def due_subjects(now: datetime) -> dict[int, str]:
    """{subject_id: reason} of the subjects whose data must be destroyed now."""
    due = {}
    for category in _categories.values():
        if category.expired_subjects is not None:
            for subject_id in category.expired_subjects(now - period_of(category.key)):
                due.setdefault(subject_id, f"retention:{category.key}")
    withdrawn = Blocking.objects.filter(destroyed_at__isnull=True, destroy_after__lte=now)
    for subject_id in withdrawn.values_list("subject_id", flat=True):
        due[subject_id] = "consent_withdrawn"
    return due


REASONS = {
    "consent_withdrawn": "Отзыв согласия на обработку персональных данных (152-ФЗ, ст. 21 ч. 5)",
}


def destroy_expired(*, now: datetime | None = None, dry_run: bool = False, actor=None) -> RunReport:
    """The nightly job: destroy due subjects (unless held), then purge aged-out categories.
    Safe to run twice: a destroyed subject is no longer found, evidence is never touched early."""
    now = now or timezone.now()
    report = RunReport(dry_run=dry_run)
    for subject_id, reason in sorted(due_subjects(now).items()):
        hold = legal_hold(subject_id)
        if hold:
            report.held[subject_id] = hold
            if not dry_run:
                Blocking.objects.filter(subject_id=subject_id).exclude(legal_hold=hold).update(legal_hold=hold)
            continue
        if not dry_run:
            destroy_subject(subject_id, reason=reason, actor=actor, now=now)
        report.destroyed.append(subject_id)
    for category in _categories.values():
        if category.purge is not None:
            cutoff = now - period_of(category.key)
            report.purged[category.key] = 0 if dry_run else category.purge(cutoff)
    return report


def destroy_subject(subject_id: int, *, reason: str, actor=None, now: datetime | None = None) -> DestructionEvidence:
    """Destroy everything registered about one citizen and write the evidence, atomically."""
    now = now or timezone.now()
    identity = identity_of(subject_id)
    files: list[str] = []
    destroyed: dict[str, int] = {}
    used: list[str] = []
    with transaction.atomic():
        for category in _categories.values():
            if category.destroy_subject is None:
                continue
            result = category.destroy_subject(subject_id)
            files += result.get("files", [])
            for model, count in result.get("rows", {}).items():
                destroyed[model] = destroyed.get(model, 0) + count
            used.append(category.key)
        label = actor.email if actor is not None else JOB_LABEL
        evidence = DestructionEvidence(
            subject_id=subject_id, subject_hash=subject_hash(identity.key), subject_masked=identity.masked,
            categories=used, system="Flow", reason=REASONS.get(reason, reason), performed_by=actor,
            performed_by_label=label, destroyed={"rows": destroyed, "files": len(files)}, created_at=now)
        extract = _extract(evidence, subject_id, files)
        evidence.extract.save(f"destruction-{subject_id}-{now:%Y%m%d%H%M%S}.json", ContentFile(extract), save=False)
        evidence.save()
        Blocking.objects.filter(subject_id=subject_id).update(destroyed_at=now, legal_hold="")
        AuditEvent.objects.create(actor=actor, actor_label=label, role="system" if actor is None else "ops",
                                  action=AuditEvent.Action.DESTROY, object_type="privacy.destructionevidence",
                                  object_id=str(evidence.pk), subject_id=subject_id,
                                  details={"reason": reason, "categories": used})
        transaction.on_commit(lambda: _delete_files(files))
    logger.info("destroyed personal data of subject %s (%s rows, %s files)", subject_id,
                sum(destroyed.values()), len(files))
    return evidence


def _extract(evidence: DestructionEvidence, subject_id: int, files: list[str]) -> bytes:
    """The act's extract: the evidence and the subject's audit trail (ids and actions, no personal data)."""
    events = AuditEvent.objects.filter(subject_id=subject_id).order_by("created_at").values_list(
        "created_at", "action", "role", "organization_id", "object_type", "object_id")
    body = {
        "act": "Акт об уничтожении персональных данных",
        "subject_hash": evidence.subject_hash, "subject": evidence.subject_masked,
        "categories": evidence.categories, "system": evidence.system, "reason": evidence.reason,
        "performed_by": evidence.performed_by_label, "date": evidence.created_at.isoformat(),
        "destroyed": evidence.destroyed, "file_count": len(files),
        "audit_extract": [{"at": at.isoformat(), "action": action, "role": role, "organization_id": org,
                           "object": f"{object_type}#{object_id}"}
                          for at, action, role, org, object_type, object_id in events],
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # the row is gone; a leftover file is reported for ops to remove
            logger.exception("destruction: could not delete file %s", name)


# privacy's own categories ------------------------------------------------------------------------

def _purge_audit(cutoff: datetime) -> int:
    return AuditEvent.objects.filter(created_at__lt=cutoff).delete()[0]


def _purge_consents(cutoff: datetime) -> int:
    destroyed_long_ago = DestructionEvidence.objects.filter(created_at__lt=cutoff).values("subject_id")
    return ConsentRecord.objects.filter(subject_id__in=destroyed_long_ago, created_at__lt=cutoff).delete()[0]


def _purge_evidence(cutoff: datetime) -> int:
    count = 0
    for evidence in DestructionEvidence.objects.filter(created_at__lt=cutoff):
        if evidence.extract:
            evidence.extract.delete(save=False)
        evidence.delete()
        count += 1
    return count


register_retention("privacy.audit", title="Журнал аудита", period=EVIDENCE_RETENTION,
                   basis="ФСТЭК РСБ.1; приказ РКН № 179", purge=_purge_audit)
register_retention("privacy.consent", title="Согласия и отзывы согласий", period=EVIDENCE_RETENTION,
                   basis="152-ФЗ ст. 9 ч. 3: доказательство согласия", purge=_purge_consents)
register_retention("privacy.evidence", title="Акты об уничтожении", period=EVIDENCE_RETENTION,
                   basis="Приказ РКН № 179", purge=_purge_evidence)
