"""Mass notifications (reference §7.4): partner staff write to the citizens of a cohort or of a
filtered applications list; each citizen gets one e-mail through the outbox, and the mailing is
logged with its recipients («Отправленные»).

The audience is exactly the applications list's rows for the same filters (status, cohort, global
search, per-column searches; active and inactive applications alike), narrowed to ONE partner the
sender works for, then reduced to one recipient per citizen (their active application, else the
newest). The confirmation form carries an idempotency key: a second press, even a concurrent one,
finds the first mailing and sends nothing.
"""
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organization
from core.access import filter_for_user
from core.mail import render_templated_mail, send_templated_mail_bulk
from core.models import OutgoingEmail
from enrollment import selectors
from enrollment.models import Application, Citizen, CitizenMessage, CitizenMessageRecipient
from enrollment.permissions import may_send_messages
from programs.models import Cohort

TEMPLATE = "emails/enrollment/partner_message"
MAX_RECIPIENTS = 5000
SAMPLE_SIZE = 20
EMPTY_PARAMS = {"status": "", "cohort": None, "q": "", "columns": {}}


class AudienceChanged(ValidationError):
    """The audience is not the one the sender confirmed (applications arrived or changed since)."""


def max_recipients() -> int:
    """At most this many citizens per mailing (setting CITIZEN_MESSAGE_MAX_RECIPIENTS)."""
    return int(getattr(settings, "CITIZEN_MESSAGE_MAX_RECIPIENTS", MAX_RECIPIENTS))


def sender_partners(user) -> QuerySet:
    """The organisations `user` may send notifications for."""
    return Organization.objects.filter(pk__in=user.access.partner_ids, kind=Organization.Kind.PARTNER,
                                       is_active=True).order_by("short_name", "pk")


def _require_partner(user, partner: Organization) -> None:
    if not (may_send_messages(user) and partner.pk in user.access.partner_ids):
        raise PermissionDenied


# The audience ---------------------------------------------------------------------------------

def audience_params(*, status: str = "", cohort=None, search: str = "", column_search: dict | None = None) -> dict:
    """The filters as stored on the mailing (JSON): {"status", "cohort": id or None, "q", "columns"}."""
    return {"status": status or "", "cohort": getattr(cohort, "pk", cohort) or None, "q": (search or "").strip(),
            "columns": {k: v.strip() for k, v in (column_search or {}).items() if k in selectors.COLUMNS and v.strip()}}


def _cohort(user, params: dict) -> Cohort | None:
    if not params.get("cohort"):
        return None
    cohort = filter_for_user(Cohort.objects.select_related("program"), user).filter(pk=params["cohort"]).first()
    if cohort is None:
        raise PermissionDenied
    return cohort


def message_audience(*, user, partner: Organization, params: dict) -> QuerySet:
    """The applications the mailing goes to: the list's rows for `params` (as `user` sees them),
    of `partner` only. Refuses a partner `user` does not work for, a cohort they do not see, a
    cohort of another partner and an unknown status."""
    _require_partner(user, partner)
    params = {**EMPTY_PARAMS, **(params or {})}
    if params["status"] and params["status"] not in Application.Status.values:
        raise ValidationError(_("Неизвестный статус заявки."), code="status")
    cohort = _cohort(user, params)
    if cohort is not None and cohort.program.partner_id != partner.pk:
        raise ValidationError(_("Поток относится к другой образовательной организации."), code="cohort")
    applications = selectors.application_list_for(user=user, search=params["q"], status=params["status"],
                                                  cohort=cohort, column_search=params["columns"])
    return applications.filter(partner=partner)


def audience_description(*, user, params: dict) -> str:
    """In Russian, whom the mailing is for: «Поток …» and/or «Заявки: статус …, поиск …»."""
    params = {**EMPTY_PARAMS, **(params or {})}
    parts = []
    if params["status"] in Application.Status.values:
        parts.append(_("статус «%(status)s»") % {"status": Application.Status(params["status"]).label})
    if params["q"]:
        parts.append(_("поиск «%(q)s»") % {"q": params["q"]})
    for key, text in params["columns"].items():
        parts.append(f"{selectors.COLUMNS[key].label}: «{text}»")
    cohort = _cohort(user, params)
    if cohort is not None:
        head = _("Поток %(odin)s (%(start)s–%(end)s), «%(program)s»") % {
            "odin": cohort.odin_id, "start": f"{cohort.start_date:%d.%m.%Y}", "end": f"{cohort.end_date:%d.%m.%Y}",
            "program": cohort.program.title}
        return "; ".join([head, *parts])[:500]
    if not parts:
        return _("Все заявки")
    return (_("Заявки: %(filters)s") % {"filters": ", ".join(parts)})[:500]


def _check_size(count: int) -> None:
    if count == 0:
        raise ValidationError(_("Получателей нет: ни одна заявка не подходит под выбранные условия."),
                              code="empty")
    if count > max_recipients():
        raise ValidationError(
            _("Получателей %(count)s — больше %(max)s, допустимых в одной рассылке. Сузьте условия: выберите "
              "поток или статус.") % {"count": count, "max": max_recipients()}, code="too_many")


def audience_count(applications: QuerySet) -> int:
    """How many citizens (not applications) the audience holds."""
    return applications.order_by().values("citizen_id").distinct().count()


def _recipients(applications: QuerySet) -> list[Application]:
    """One application per citizen: the active one if it is in the audience, else the newest."""
    chosen: dict[int, Application] = {}
    rows = (applications.select_related("citizen").order_by("citizen_id", "-is_active", "-submitted_at", "-pk")
            .iterator(chunk_size=1000))
    for application in rows:
        chosen.setdefault(application.citizen_id, application)
    return list(chosen.values())


# Preview and send -----------------------------------------------------------------------------

def _clean_text(subject: str, body: str) -> tuple[str, str]:
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = _("Укажите тему уведомления.")
    if not body:
        errors["body"] = _("Напишите текст уведомления.")
    if errors:
        raise ValidationError(errors)
    return subject, body


def _context(partner: Organization, subject: str, body: str, citizen: Citizen) -> dict:
    return {"user_name": " ".join(filter(None, (citizen.first_name, citizen.middle_name))), "partner": partner,
            "subject": subject, "body": body, "cabinet_url": settings.SITE_URL + reverse("cabinet:home")}


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class MessagePreview:
    description: str
    count: int
    sample: list  # the first SAMPLE_SIZE citizens by name
    email: OutgoingEmail | None  # rendered for the first of them, not saved


def message_preview(*, user, partner: Organization, params: dict, subject: str = "", body: str = "") -> MessagePreview:
    """What «Отправить» would do: whom (description, number of citizens, the first 20) and the
    e-mail as the first of them would get it. Refuses what `message_send` would refuse."""
    applications = message_audience(user=user, partner=partner, params=params)
    count = audience_count(applications)
    _check_size(count)
    sample = list(Citizen.objects.filter(pk__in=applications.order_by().values("citizen_id"))
                  .order_by("last_name", "first_name", "pk")[:SAMPLE_SIZE])
    email = None
    if subject or body:
        subject, body = _clean_text(subject, body)
        first = next((c for c in sample if _valid_email(c.email)), None)
        if first is not None:
            email = render_templated_mail(first.email, TEMPLATE, _context(partner, subject, body, first))
    return MessagePreview(description=audience_description(user=user, params=params), count=count, sample=sample,
                          email=email)


def _replayed(message: CitizenMessage, partner: Organization) -> CitizenMessage:
    if message.partner_id != partner.pk:
        raise PermissionDenied
    return message


def message_send(*, actor, partner: Organization, subject: str, body: str, params: dict, idempotency_key: UUID,
                 expected_count: int | None = None) -> CitizenMessage:
    """Send a notification: the mailing, one recipient row and one outbox e-mail per citizen, in
    one transaction (the e-mails leave after commit). A second call with the same key returns the
    first mailing and sends nothing; two concurrent calls meet at the key's unique index, where the
    second waits for the first and then finds its mailing. With `expected_count` (the number the
    sender confirmed) a changed audience raises AudienceChanged instead of sending."""
    _require_partner(actor, partner)
    existing = CitizenMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, partner)
    subject, body = _clean_text(subject, body)
    applications = message_audience(user=actor, partner=partner, params=params)
    _check_size(audience_count(applications))
    recipients = _recipients(applications)
    if expected_count is not None and len(recipients) != expected_count:
        raise AudienceChanged(_("Состав получателей изменился: было %(old)s, сейчас %(new)s. Проверьте и подтвердите "
                                "отправку ещё раз.") % {"old": expected_count, "new": len(recipients)},
                              code="changed")
    params = {**EMPTY_PARAMS, **params}
    try:
        with transaction.atomic():
            message = CitizenMessage.objects.create(
                partner=partner, sender=actor, subject=subject, body=body, filters=params,
                audience=audience_description(user=actor, params=params), idempotency_key=idempotency_key,
                recipients_count=len(recipients))
            _deliver(message, recipients)
    except IntegrityError:
        existing = CitizenMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, partner)
    return message


def _deliver(message: CitizenMessage, recipients: list[Application]) -> None:
    """Queue the e-mails (one INSERT) and log the recipients with their e-mails (one INSERT)."""
    deliverable = [a for a in recipients if _valid_email(a.citizen.email)]
    emails = send_templated_mail_bulk(template=TEMPLATE, messages=[
        (a.citizen.email, _context(message.partner, message.subject, message.body, a.citizen)) for a in deliverable])
    by_citizen = {a.citizen_id: email for a, email in zip(deliverable, emails, strict=True)}
    CitizenMessageRecipient.objects.bulk_create([
        CitizenMessageRecipient(message=message, application=a, citizen=a.citizen, email=a.citizen.email[:254],
                                outgoing_email=by_citizen.get(a.citizen_id)) for a in recipients], batch_size=1000)


# Reads («Отправленные») -------------------------------------------------------------------------

def message_list_for(*, user, search: str = "") -> QuerySet:
    """The mailings `user` may read, newest first, found by subject, audience or a recipient's e-mail."""
    qs = filter_for_user(CitizenMessage.objects.select_related("partner", "sender"), user)
    search = (search or "").strip()
    if search:
        by_email = CitizenMessageRecipient.objects.filter(
            Q(email__startswith=search) | Q(email__startswith=search.lower())).values("message_id")
        qs = qs.filter(Q(subject__icontains=search) | Q(audience__icontains=search) | Q(pk__in=by_email))
    return qs.order_by("-created_at", "-pk")


def recipient_rows(message: CitizenMessage) -> QuerySet:
    return (message.recipients.select_related("citizen", "application", "outgoing_email")
            .order_by("citizen__last_name", "citizen__first_name", "pk"))


def delivery_counts(message: CitizenMessage) -> dict:
    """{"sent", "pending", "failed", "no_email"}: the mailing's e-mails by outbox state (one query)."""
    rows = dict(message.recipients.order_by().values_list("outgoing_email__status").annotate(n=Count("pk")))
    status = OutgoingEmail.Status
    return {"sent": rows.get(status.SENT, 0), "pending": rows.get(status.PENDING, 0),
            "failed": rows.get(status.FAILED, 0), "no_email": rows.get(None, 0)}
