"""The access door: every view fetches guarded objects and lists through these functions.

Tenancy comes first and is cheap: each guarded model's QuerySet has `visible_to(user)`, which
narrows by organisation, region or citizen foreign keys. django-guardian's direct-foreign-key
tables hold only the exceptions (a grant on one object to one user). A user who may not see an
object gets 404; one who may see it but not change it gets 403.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user  # noqa: TID251 - the one sanctioned use


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
