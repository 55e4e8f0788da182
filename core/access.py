"""The access door: every view fetches guarded objects and lists through these functions.

Tenancy comes first and is cheap: each guarded model's QuerySet has `visible_to(user)`, which
narrows by organisation, region or citizen foreign keys. django-guardian's direct-foreign-key
tables hold only the exceptions (a grant on one object to one user). A user who may not see an
object gets 404; one who may see it but not change it gets 403.

A background task acting on a user's behalf (an export: core.exports) runs
later, maybe after the user was deactivated or lost a role: it stores `scope_snapshot(user)` when it
is started and calls `task_scope_refusal(user, snapshot)` when it runs; a refusal fails the task
closed (no file, no change) and `record_task_denial` logs it and writes a `denied` audit event
(checklist ACL-09).
"""
import importlib
import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user  # noqa: TID251 - the one sanctioned use

logger = logging.getLogger(__name__)


def filter_for_user(queryset: QuerySet, user, perm: str | None = None) -> QuerySet:
    """What `user` may see of `queryset`: the tenant scope, plus objects granted through guardian."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser or (perm and user.has_perm(perm)):
        return queryset
    visible = queryset.visible_to(user)
    if perm is None:
        return visible
    granted = get_objects_for_user(user, perm, klass=queryset.model, accept_global_perms=False,
                                   with_superuser=False)
    return queryset.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=granted.values("pk")))


def get_for_user_or_404(queryset: QuerySet, user, perm: str | None = None, **lookup):
    """One object `user` may see, or Http404 (never reveal that it exists)."""
    try:
        return filter_for_user(queryset, user, perm).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def require_perm(user, perm: str, obj=None) -> None:
    """403 when `user`, who can see `obj`, may not do `perm` on it."""
    if not (user.has_perm(perm) or (obj is not None and user.has_perm(perm, obj))):
        raise PermissionDenied


def require(condition: bool) -> None:
    """403 unless `condition`: for role gates computed by the caller (`user.access.is_operator`)."""
    if not condition:
        raise PermissionDenied


def scope_snapshot(user) -> list[str]:
    """What `user` may see, as plain strings a job can store (JSON) and compare when it runs: the
    roles with their organisations and regions, citizen, staff and superuser flags. Empty for an
    inactive user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    access = user.access
    parts = [f"{role}:{value}" for role, values in (
        ("operator", access.operator_ids), ("auditor", access.auditor_ids), ("partner", access.partner_ids),
        ("employment", access.employment_service_ids), ("region", access.region_codes),
        ("replace_documents", access.replace_documents_partner_ids),
    ) for value in sorted(values, key=str)]
    parts += [flag for flag, on in (("citizen", access.is_citizen), ("staff", user.is_staff),
                                    ("superuser", user.is_superuser)) if on]
    return parts


def task_scope_refusal(user, snapshot: list[str] | None) -> str | None:
    """Why a task started by `user` must not run now (None: it may). A deactivated user, or one
    whose scope differs from the `snapshot` taken when the task was started (a role or organisation
    revoked — or granted: the task would see more than was asked for), is refused: fail closed, the
    user can start it again. Without a snapshot (none was taken: the user held no role, or the task
    predates snapshots) only a deactivated user is refused, and the task's own scoping decides."""
    if user is None or not user.is_active:
        return "inactive"
    if snapshot and scope_snapshot(user) != list(snapshot):
        return "scope_changed"
    return None


def record_task_denial(*, user, task: str, reason: str, object_type: str = "", object_id="") -> None:
    """Log a task refused by `task_scope_refusal`, and write a `denied` audit event when the audit
    trail (privacy.audit, an upper app: imported by name, core never depends on it) is installed."""
    logger.warning("task %s refused for user %s: %s (%s %s)", task, getattr(user, "pk", None), reason,
                   object_type, object_id)
    if not apps.is_installed("privacy"):
        return
    audit = importlib.import_module("privacy.audit").audit
    audit(action="denied", user=user, object_type=object_type, object_id=object_id,
          details={"task": task, "reason": reason})
