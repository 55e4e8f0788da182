"""The audit trail of personal data (LOG-01, LOG-03, LOG-08).

`audit(...)` writes one `AuditEvent`. Pages and downloads that show a citizen's personal data are
registered by URL name from each app's `privacy.py`, so no view has to remember to call it:

    register_audited_view("enrollment:application_detail", "read", object_type="enrollment.application",
                          subject=lambda pk, user: Application.objects.filter(pk=pk)
                                                       .values_list("citizen_id", flat=True).first())

`privacy.middleware.AuditMiddleware` then writes, after the response, one event for a 2xx answer
(a POST is recorded as `change`), and a `denied` event for a 403 or a scope-caused 404 (LOG-03).
`subject(pk, user)` gives the citizen's primary key (or None when the object concerns many citizens);
it is asked only for successful responses, so a denied request reveals nothing.

Transitions are not duplicated here: every transition already writes its event row (who, when,
from, to) in the same transaction (`ApplicationEvent`, DESIGN §5); the audit trail covers what
those rows cannot see, reads and downloads.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from privacy.models import AuditEvent

logger = logging.getLogger("flow.audit")

# LOG-08: more distinct citizens than this read by one user within an hour raise an alert.
ALERT_CITIZENS_PER_HOUR = 200
ALERT_WINDOW = timedelta(hours=1)
# An export download of at least this many rows is a bulk export (settings: PRIVACY_ALERT_EXPORT_ROWS).
ALERT_EXPORT_ROWS = 1000
# The admin used outside these local hours [start, end) is off-hours use (settings: PRIVACY_WORKING_HOURS).
WORKING_HOURS = (7, 21)
READ_ACTIONS = (AuditEvent.Action.READ, AuditEvent.Action.DOWNLOAD)


@dataclass(frozen=True)
class AuditedView:
    url_name: str
    action: str
    object_type: str
    subject: Callable[[str, object], int | None] | None = None
    kwarg: str = "pk"


_views: dict[str, AuditedView] = {}


def register_audited_view(url_name: str, action: str, *, object_type: str,
                          subject: Callable[[str, object], int | None] | None = None, kwarg: str = "pk") -> None:
    """Audit every request to `url_name` ("namespace:name"): `action` for a successful GET,
    `change` for a successful POST, `denied` for a 403/404. `kwarg` is the URL argument holding the
    object's id (`object_id` for admin change pages)."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    _views[url_name] = AuditedView(url_name, action, object_type, subject, kwarg)


def audited_view(url_name: str) -> AuditedView | None:
    return _views.get(url_name)


def audited_views() -> dict[str, AuditedView]:
    return dict(_views)


def role_of(user) -> tuple[str, int | None]:
    """The role and organisation recorded for `user`: the first that applies, strongest first."""
    if user is None or not user.is_authenticated:
        return "anonymous", None
    access = user.access
    for role, ids in (("operator_reviewer", access.operator_ids), ("auditor", access.auditor_ids),
                      ("partner_staff", access.partner_ids),
                      ("employment_reviewer", access.employment_service_ids)):
        if ids:
            return role, min(ids)
    if access.is_citizen:
        return "citizen", None
    if user.is_superuser:
        return "superuser", None
    return "user", None


def client_ip(request) -> str | None:
    """The client's address as django-axes sees it (trusted proxies only: TRUSTED_PROXY_COUNT)."""
    if request is None:
        return None
    try:
        from axes.helpers import get_client_ip_address

        return get_client_ip_address(request) or None
    except Exception:  # noqa: BLE001 - an address we cannot read is recorded as unknown
        return request.META.get("REMOTE_ADDR") or None


def audit(*, action: str, user=None, request=None, object_type: str = "", object_id="", subject_id=None,
          details: dict | None = None, status_code: int | None = None) -> AuditEvent:
    """Write one audit event. `user` defaults to the request's; `subject_id` is the citizen's pk."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    role, organization_id = role_of(user)
    authenticated = user is not None and user.is_authenticated
    match = getattr(request, "resolver_match", None) if request is not None else None
    event = AuditEvent.objects.create(
        actor=user if authenticated else None,
        actor_label=(user.email if authenticated else ""),
        role=role, organization_id=organization_id, action=action,
        object_type=object_type, object_id=str(object_id or "")[:40], subject_id=subject_id,
        url_name=(match.view_name if match else "")[:100],
        method=(request.method if request is not None else ""),
        status_code=status_code,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip=client_ip(request), details=details or {},
    )
    if authenticated and action in READ_ACTIONS and subject_id is not None:
        check_reading_rate(user)
    if authenticated and action == AuditEvent.Action.EXPORT and object_type == "core.exportjob":
        check_bulk_export(user, object_id)
    return event


def alert_threshold() -> int:
    return getattr(settings, "PRIVACY_ALERT_CITIZENS_PER_HOUR", ALERT_CITIZENS_PER_HOUR)


def check_reading_rate(user) -> AuditEvent | None:
    """LOG-08: a user who read more than the threshold of distinct citizens within the last hour gets
    one `alert` event (and a log warning) per hour, for the operator's security officer."""
    since = timezone.now() - ALERT_WINDOW
    threshold = alert_threshold()
    citizens = (AuditEvent.objects.filter(actor_id=user.pk, created_at__gte=since, action__in=READ_ACTIONS,
                                          subject_id__isnull=False)
                .order_by().values("subject_id").distinct()[:threshold + 1].count())
    if citizens <= threshold:
        return None
    return _alert(user, "citizens_per_hour", f"read more than {threshold} citizens within an hour",
                  {"threshold": threshold, "window_minutes": 60})


def check_bulk_export(user, job_id) -> AuditEvent | None:
    """LOG-08: downloading an export of many rows (a list of citizens leaving Flow) raises an alert."""
    from core.models import ExportJob

    threshold = getattr(settings, "PRIVACY_ALERT_EXPORT_ROWS", ALERT_EXPORT_ROWS)
    rows = ExportJob.objects.filter(pk=job_id).values_list("total_rows", flat=True).first() or 0
    if rows < threshold:
        return None
    return _alert(user, "bulk_export", f"downloaded export {job_id} of {rows} rows",
                  {"threshold": threshold, "rows": rows, "export": str(job_id)})


def check_off_hours_admin(user) -> AuditEvent | None:
    """LOG-08: the admin (the operator's reviewers, ops) used outside working hours, local time."""
    start, end = getattr(settings, "PRIVACY_WORKING_HOURS", WORKING_HOURS)
    hour = timezone.localtime().hour
    if start <= hour < end:
        return None
    return _alert(user, "off_hours_admin", f"used the admin at {hour}:00 local time",
                  {"working_hours": [start, end], "hour": hour})


def _alert(user, rule: str, text: str, details: dict) -> AuditEvent | None:
    """One `alert` event (and a log warning) per user and rule an hour, for the security officer
    (the index on actor and time answers the check)."""
    since = timezone.now() - ALERT_WINDOW
    if AuditEvent.objects.filter(actor_id=user.pk, action=AuditEvent.Action.ALERT, created_at__gte=since,
                                 details__rule=rule).exists():
        return None
    role, organization_id = role_of(user)
    logger.warning("audit alert (%s): user %s %s", rule, user.pk, text)
    return AuditEvent.objects.create(
        actor=user, actor_label=user.email, role=role, organization_id=organization_id,
        action=AuditEvent.Action.ALERT, object_type="accounts.user", object_id=str(user.pk),
        details={"rule": rule, **details})


def affected_subjects(*, actor_id: int, start, end) -> list[int]:
    """PDN-07: the citizens whose data `actor_id` read, downloaded or changed in [start, end)."""
    return sorted(AuditEvent.objects.filter(actor_id=actor_id, created_at__gte=start, created_at__lt=end,
                                            subject_id__isnull=False)
                  .exclude(action=AuditEvent.Action.DENIED).order_by()
                  .values_list("subject_id", flat=True).distinct())
