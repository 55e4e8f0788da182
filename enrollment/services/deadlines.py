"""Deadlines of the enrolment documents, counted in working days of the production calendar
(reference §3.4, 2025–2026), the beat that marks unchecked documents overdue, and the reminders.

For a cohort starting on S:
- the partner checks the enrolment documents by the **last working day before S**;
- the citizen uploads them by the **day before that**: no later than two days before the start, at
  least one of which is a working day. If that day is a weekend or holiday, the check day is the
  first working day after it. Weekly examples (five-day week): start on Monday → upload by
  Thursday, check by Friday; Tuesday → Sunday / Monday; Wednesday → Monday / Tuesday; Saturday or
  Sunday → Thursday / Friday; around holidays the calendar decides (start Tue 12.05.2026 →
  upload by Thu 07.05, check by Fri 08.05).

Documents waiting for a check when the check day has passed become `overdue` (they may still be
checked). Each beat is idempotent: the overdue mark runs once per document, and every reminder is
recorded as an ApplicationEvent (transition "reminder_…") so that it is never sent twice.
"""
import logging
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import add_working_days, add_working_days_to_each, is_working_day
from core.fsm import InvalidTransition, run_transition
from core.mail import send_templated_mail
from enrollment.models import Application, ApplicationDocument, ApplicationEvent

logger = logging.getLogger(__name__)

Status = Application.Status
ONE_DAY = timedelta(days=1)
# Documents whose check has a deadline: the primary ones and the enrolment ones.
CHECKED_KINDS = (*ApplicationDocument.PRIMARY, *ApplicationDocument.PRIMARY_OPTIONAL, *ApplicationDocument.ENROLMENT)
REVIEW_STATUSES = (Status.PRIMARY_DOCS_REVIEW, Status.ENROLMENT_DOCS_REVIEW)
UPLOAD_STATUSES = (Status.ENROLMENT_DOCS_REQUIRED, Status.ENROLMENT_DOCS_REJECTED)
REMINDER_UPLOAD = "reminder_upload_enrolment_docs"
# Own-wish withdrawal closes in the last 3 working days before the end, the end not counted (§2.4).
WITHDRAWAL_CLOSED_WORKING_DAYS = 3


CHECK_WORKING_DAYS_BEFORE_START = -1


def check_deadline(start: date) -> date:
    """The last day the partner checks the enrolment documents of a cohort starting on `start`."""
    return add_working_days(start, CHECK_WORKING_DAYS_BEFORE_START)


def check_deadlines(starts) -> dict[date, date]:
    """`check_deadline` of each cohort start, from one read of the calendar (a list page)."""
    return add_working_days_to_each(starts, CHECK_WORKING_DAYS_BEFORE_START)


def upload_deadline(start: date) -> date:
    """The last day the citizen uploads the enrolment documents for a cohort starting on `start`."""
    return check_deadline(start) - ONE_DAY


def withdrawal_last_day(end: date) -> date:
    """The last day a withdrawal request may be filed for a cohort ending on `end`."""
    return add_working_days(end, -WITHDRAWAL_CLOSED_WORKING_DAYS) - ONE_DAY


def latest_overdue_start(today: date) -> date:
    """Cohorts starting on or before this date have passed their check day: the check day of a start
    S is the last working day before S, so it is over once no working day is left in [today, S)."""
    return today if is_working_day(today) else add_working_days(today, 1)


# The overdue mark --------------------------------------------------------------------------------

def documents_mark_overdue(*, today: date | None = None) -> int:
    """Beat: mark `overdue` the current documents still waiting for the partner's check when their
    cohort's check day has passed. Returns how many were marked; a second run marks none."""
    today = today or timezone.localdate()
    due = (ApplicationDocument.objects
           .filter(status=ApplicationDocument.Status.NEW, is_current=True, kind__in=CHECKED_KINDS,
                   application__status__in=REVIEW_STATUSES,
                   application__cohort__start_date__lte=latest_overdue_start(today))
           .values_list("pk", "application_id"))
    marked = 0
    for document_id, application_id in due.iterator(chunk_size=500):
        if _mark_overdue(document_id, application_id):
            marked += 1
    return marked


@transaction.atomic
def _mark_overdue(document_id: int, application_id: int) -> bool:
    document = ApplicationDocument(pk=document_id)
    try:
        document = run_transition(document, "mark_overdue", actor=None)
    except InvalidTransition:  # checked meanwhile
        return False
    ApplicationEvent.objects.create(
        subject_id=application_id, actor=None, transition="document_overdue",
        comment=_("Документ «%(kind)s» не проверен в срок.") % {"kind": document.get_kind_display()})
    return True


# Reminders -----------------------------------------------------------------------------------

def _already_reminded(application_ids, transition: str) -> set[int]:
    return set(ApplicationEvent.objects.filter(subject_id__in=list(application_ids), transition=transition)
               .values_list("subject_id", flat=True))


def _starts_with_deadline(deadline_of, day: date, horizon: int = 21) -> list[date]:
    """Start dates (from tomorrow on, `horizon` days ahead) whose deadline falls on `day`."""
    return [start for start in (day + ONE_DAY * k for k in range(1, horizon + 1)) if deadline_of(start) == day]


def upload_reminders_send(*, today: date | None = None) -> int:
    """Beat: remind citizens who still have to upload the enrolment documents that tomorrow is the
    last day. One reminder per application, ever. Returns the number of e-mails queued."""
    today = today or timezone.localdate()
    deadline = today + ONE_DAY
    starts = _starts_with_deadline(upload_deadline, deadline)
    if not starts:
        return 0
    waiting = list(Application.objects.filter(status__in=UPLOAD_STATUSES, is_active=True,
                                              cohort__start_date__in=starts)
                   .select_related("citizen", "program", "cohort"))
    done = _already_reminded((a.pk for a in waiting), REMINDER_UPLOAD)
    sent = 0
    for application in waiting:
        if application.pk in done:
            continue
        with transaction.atomic():
            ApplicationEvent.objects.create(subject=application, actor=None, transition=REMINDER_UPLOAD,
                                            comment=_("Напоминание о сроке загрузки: %(date)s")
                                            % {"date": deadline.strftime("%d.%m.%Y")})
            send_templated_mail(to=application.citizen.email, template="emails/enrollment/upload_reminder", context={
                "user_name": application.citizen.first_name, "application": application,
                "deadline": deadline, "cabinet_url": settings.SITE_URL + reverse("cabinet:home")})
        sent += 1
    return sent


def check_reminders_send(*, today: date | None = None) -> int:
    """Beat: tell each partner's staff which applications wait for a document check whose last day
    is today or the next working day. An application is in at most one reminder per status.
    Returns the number of e-mails queued."""
    from programs.selectors_contracts import partner_recipients

    today = today or timezone.localdate()
    last_days = {today, add_working_days(today, 1)}
    starts = [start for start in (today + ONE_DAY * k for k in range(1, 22)) if check_deadline(start) in last_days]
    if not starts:
        return 0
    waiting = list(Application.objects.filter(
        status__in=REVIEW_STATUSES, cohort__start_date__in=starts,
        documents__is_current=True, documents__status=ApplicationDocument.Status.NEW,
    ).distinct().select_related("citizen", "cohort").order_by("partner_id", "cohort__start_date", "rr_number"))
    by_partner = defaultdict(list)
    reminded = {status: _already_reminded((a.pk for a in waiting), _check_reminder(status))
                for status in REVIEW_STATUSES}
    for application in waiting:
        if application.pk not in reminded[application.status]:
            by_partner[application.partner_id].append(application)
    sent = 0
    for partner_id, applications in by_partner.items():
        sent += _check_reminder_send(partner_id, applications, partner_recipients(partner_id))
    return sent


def _check_reminder(status: str) -> str:
    return f"reminder_check_{status}"


@transaction.atomic
def _check_reminder_send(partner_id: int, applications: list[Application], recipients) -> int:
    deadlines = {start: check_deadline(start) for start in {a.cohort.start_date for a in applications}}
    rows = [{"application": a, "deadline": deadlines[a.cohort.start_date],
             "url": settings.SITE_URL + a.get_absolute_url()} for a in applications]
    ApplicationEvent.objects.bulk_create([
        ApplicationEvent(subject=row["application"], actor=None, transition=_check_reminder(row["application"].status),
                         comment=_("Напоминание партнёру: проверить документы до %(date)s")
                         % {"date": row["deadline"].strftime("%d.%m.%Y")})
        for row in rows])
    for email, first_name in recipients:
        send_templated_mail(to=email, template="emails/enrollment/check_reminder",
                            context={"user_name": first_name, "rows": rows,
                                     "list_url": settings.SITE_URL + reverse("enrollment:application_list")})
    return len(recipients)
