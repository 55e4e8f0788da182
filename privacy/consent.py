"""Consent to personal-data processing (PDN-01) and its withdrawal (PDN-02).

Each purpose has its own text, kept as a versioned template `privacy/consent/<purpose>_<version>.html`
and never edited once in use: a new wording is a new file and a new entry in CURRENT_VERSIONS. A
`ConsentRecord` stores the version and the SHA-256 of the rendered text, so what the citizen agreed
to can be shown and proved later (`consent_text` renders it again, byte for byte).

A withdrawal blocks the citizen at once (a `Blocking` row: partners' lists, pages and exports stop
showing the citizen's applications, see `enrollment.models.ApplicationQuerySet.visible_to`) and
schedules destruction after WITHDRAWAL_DESTROY_AFTER, which the nightly job carries out unless
another legal basis holds the data (privacy.retention.register_legal_hold).
"""
import hashlib
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacy.models import AuditEvent, Blocking, ConsentRecord

Purpose = ConsentRecord.Purpose
CURRENT_VERSIONS = {Purpose.PROCESSING: "v1", Purpose.TRANSFER: "v1"}
REQUIRED_PURPOSES = (Purpose.PROCESSING, Purpose.TRANSFER)
# 152-FZ art. 21 p.5: destroyed within 30 days of the withdrawal.
WITHDRAWAL_DESTROY_AFTER = timedelta(days=30)


def consent_text(purpose: str, version: str | None = None) -> str:
    """The exact text of a consent version, as shown to the citizen (the same bytes each time).
    Always the Russian text, whatever the interface language: that is the text the citizen signs,
    and its SHA-256 must not depend on a language switch."""
    version = version or CURRENT_VERSIONS[purpose]
    with translation.override("ru"):
        return render_to_string(f"privacy/consent/{purpose}_{version}.html").strip()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_consents() -> list[dict]:
    """The texts the citizen is asked to agree to now, one per purpose."""
    return [{"purpose": purpose, "label": Purpose(purpose).label, "version": CURRENT_VERSIONS[purpose],
             "text": consent_text(purpose)} for purpose in REQUIRED_PURPOSES]


def consent_give(*, subject_id: int, user, purposes, ip: str | None = None, user_agent: str = "") -> list:
    """Record the citizen's consent to each of `purposes` (all required ones must be there)."""
    missing = [purpose for purpose in REQUIRED_PURPOSES if purpose not in set(purposes)]
    if missing:
        raise ValidationError({f"consent_{purpose}": _("Без этого согласия мы не можем работать с вашей заявкой.")
                               for purpose in missing}, code="consent")
    records = []
    with transaction.atomic():
        for purpose in REQUIRED_PURPOSES:
            version = CURRENT_VERSIONS[purpose]
            records.append(ConsentRecord.objects.create(
                subject_id=subject_id, user=user, purpose=purpose, action=ConsentRecord.Action.GIVEN,
                text_version=version, text_sha256=text_sha256(consent_text(purpose, version)),
                ip=ip, user_agent=(user_agent or "")[:400]))
    return records


def has_consent(subject_id: int, purpose: str) -> bool:
    """The latest record of `purpose` is a consent (not a withdrawal) and the citizen is not blocked."""
    latest = ConsentRecord.objects.filter(subject_id=subject_id, purpose=purpose).order_by("-created_at", "-pk").first()
    return latest is not None and latest.action == ConsentRecord.Action.GIVEN and not is_blocked(subject_id)


def is_blocked(subject_id: int) -> bool:
    return Blocking.objects.filter(subject_id=subject_id).exists()


def blocked_subject_ids():
    """The citizens hidden from partners: a subquery for `visible_to` (unique index on subject_id)."""
    return Blocking.objects.values("subject_id")


def consent_withdraw(*, subject_id: int, user, ip: str | None = None, user_agent: str = "") -> Blocking:
    """Withdraw every purpose: record it, block the citizen now, schedule destruction in 30 days.
    Idempotent: a second withdrawal changes nothing."""
    with transaction.atomic():
        blocking = Blocking.objects.select_for_update().filter(subject_id=subject_id).first()
        if blocking is not None:
            return blocking
        now = timezone.now()
        for purpose in REQUIRED_PURPOSES:
            version = CURRENT_VERSIONS[purpose]
            ConsentRecord.objects.create(
                subject_id=subject_id, user=user, purpose=purpose, action=ConsentRecord.Action.WITHDRAWN,
                text_version=version, text_sha256=text_sha256(consent_text(purpose, version)),
                ip=ip, user_agent=(user_agent or "")[:400])
        blocking = Blocking.objects.create(subject_id=subject_id, blocked_at=now,
                                           destroy_after=now + WITHDRAWAL_DESTROY_AFTER,
                                           reason=_("Отзыв согласия на обработку персональных данных"))
        from privacy.audit import audit

        audit(action=AuditEvent.Action.CONSENT, user=user, object_type="privacy.blocking", object_id=blocking.pk,
              subject_id=subject_id, details={"withdrawn": list(REQUIRED_PURPOSES)})
    return blocking
