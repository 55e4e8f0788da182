"""The journal of issued qualification documents and the ФИС ФРДО screenshots (seed 004;
reference §5.3): one package per cohort, shared by all its acts, uploaded by the partner only from
the day after the cohort end. The journal is one PDF (anything else is refused, whatever its name);
screenshots are PNG, JPEG or PDF, checked by content. Each upload is a new version of the package;
earlier versions are kept.

The first upload (or one after acts were generated) sends the cohort's acts waiting for it to
review; a package rejected with an act is replaced the same way, which sends the acts rejected
with it back to review.
"""
import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Act, CohortRemark, JournalFile, JournalPackage
from cohorts.services.acts import act_return_to_review
from cohorts.services.common import notify, operator_recipients, require_partner
from core.calendar import add_working_days
from core.fsm import run_transition
from documents.models import Signature
from documents.validators import validate_pdf_file, validate_scan_file
from programs.models import Cohort

REVIEW_WORKING_DAYS = 15
MAX_SCREENSHOTS = 20


def journal_open(cohort: Cohort, today: dt.date | None = None) -> bool:
    return (today or timezone.localdate()) > cohort.end_date


@transaction.atomic
def journal_upload(*, actor, cohort: Cohort, journal, screenshots, comment: str = "",
                   today: dt.date | None = None) -> JournalPackage:
    """Upload the package (a new version after a rejection); `comment` is the partner's answer to
    the operator's remarks, kept in the cohort's history."""
    today = today or timezone.localdate()
    cohort = Cohort.objects.select_for_update().select_related("program__partner").get(pk=cohort.pk)
    partner = cohort.program.partner
    require_partner(actor, partner.pk)
    if not journal_open(cohort, today):
        raise ValidationError(_("Журнал загружается со дня, следующего за окончанием обучения (с %(date)s).")
                              % {"date": f"{cohort.end_date + dt.timedelta(days=1):%d.%m.%Y}"}, code="too_early")
    package = JournalPackage.objects.select_for_update().filter(cohort=cohort).first()
    if package is not None and package.rejected_at is None:
        raise ValidationError(_("Журнал и скриншоты уже загружены: заменить их можно, когда федеральный оператор "
                                "отклонит их вместе с актом."), code="already_uploaded")
    errors = {}
    try:
        journal_data = validate_pdf_file(journal) if journal else None
        if journal_data is None:
            errors["journal"] = _("Загрузите журнал в формате PDF.")
    except ValidationError as error:
        errors["journal"] = error.messages
    screenshots = [file for file in screenshots or () if file]
    scans = []
    if not screenshots:
        errors["screenshots"] = _("Загрузите хотя бы один скриншот из ФИС ФРДО.")
    elif len(screenshots) > MAX_SCREENSHOTS:
        errors["screenshots"] = _("Не более %(count)d скриншотов.") % {"count": MAX_SCREENSHOTS}
    else:
        try:
            scans = [validate_scan_file(file) for file in screenshots]
        except ValidationError as error:
            errors["screenshots"] = error.messages
    if errors:
        raise ValidationError(errors)

    if package is None:
        package = JournalPackage.objects.create(cohort=cohort, partner=partner, version=1)
    else:
        package.version += 1
        package.rejected_at = None
        package.save(update_fields=["version", "rejected_at", "updated_at"])
    _store(package, JournalFile.Kind.JOURNAL, 1, journal_data, "pdf", "application/pdf", actor)
    for position, scan in enumerate(scans, start=1):
        _store(package, JournalFile.Kind.SCREENSHOT, position, scan.data, scan.extension, scan.content_type, actor)
    comment = (comment or "").strip()
    if comment:
        CohortRemark.objects.create(cohort=cohort, author=actor, is_operator=False, text=comment)
    _send_acts_to_review(cohort, actor, package, today)
    return package


def _store(package, kind, position, data: bytes, extension: str, content_type: str, actor) -> JournalFile:
    stored = JournalFile(package=package, version=package.version, kind=kind, position=position,
                         content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                         uploaded_by=actor)
    stored.file.save(f"journal-{package.cohort_id}-v{package.version}-{kind}-{position}.{extension}",
                     ContentFile(data), save=False)
    stored.save()
    return stored


def _send_acts_to_review(cohort, actor, package, today) -> None:
    due = add_working_days(today, REVIEW_WORKING_DAYS)
    note = _("Загружены журнал и скриншоты (версия %(version)d)") % {"version": package.version}
    moved = []
    # An act rejected at the signature check carries the partner's signature and kept its journal:
    # the partner answers it itself (acts.act_resubmit); only those rejected with the journal return.
    signed = Signature.objects.filter(document=OuterRef("document_id"))
    waiting = Act.objects.filter(cohort=cohort).filter(
        Q(status=Act.Status.JOURNAL_REQUIRED) | (Q(status=Act.Status.REJECTED) & ~Exists(signed)))
    for act in waiting.order_by("sequence"):
        if act.status == Act.Status.JOURNAL_REQUIRED:
            moved.append(run_transition(act, "submit_journal", actor=actor, comment=note, review_due=due))
        else:
            moved.append(act_return_to_review(act, actor=actor, note=note))
    if moved:
        notify(operator_recipients(), cohort=cohort, headline=_("акт ждёт согласования"),
               message=_("%(partner)s загрузил журнал и скриншоты; на согласовании акты: %(numbers)s. Срок "
                         "согласования — %(due)s.") % {"partner": cohort.program.partner,
                                                        "numbers": ", ".join(a.number for a in moved),
                                                        "due": f"{due:%d.%m.%Y}"})


def current_files(package: JournalPackage | None) -> list[JournalFile]:
    if package is None:
        return []
    return list(package.files.filter(version=package.version).order_by("kind", "position"))
