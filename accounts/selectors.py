"""Account reads: what a user may see of organisations, staff and links."""
from django.db.models import Q, QuerySet
from django_otp import user_has_device

from accounts.models import AccessToken, Membership, Organization, User
from core.access import filter_for_user

ORGANIZATION_SORTS = {
    "name": ("short_name", "pk"), "-name": ("-short_name", "-pk"),
    "inn": ("inn",), "-inn": ("-inn",),
    "region": ("region_id", "short_name"), "-region": ("-region_id", "short_name"),
}
STAFF_SORTS = {
    "name": ("user__last_name", "user__first_name", "pk"),
    "-name": ("-user__last_name", "-user__first_name", "-pk"),
    "email": ("user__email", "pk"), "-email": ("-user__email", "-pk"),
    "organization": ("organization__short_name", "user__last_name", "pk"),
    "-organization": ("-organization__short_name", "user__last_name", "pk"),
    "role": ("role", "user__last_name", "pk"), "-role": ("-role", "user__last_name", "pk"),
    "created": ("created_at", "pk"), "-created": ("-created_at", "-pk"),
}


def organization_list_for(*, user: User, search: str = "", kind: str = "", region=None,
                          sort: str = "name") -> QuerySet:
    """Organisations `user` may see, searched by name or INN, filtered by kind and region."""
    qs = filter_for_user(Organization.objects.select_related("region"), user)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(short_name__icontains=search) | Q(inn__startswith=search))
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(Q(region=region) | Q(regions=region)).distinct()
    return qs.order_by(*ORGANIZATION_SORTS.get(sort, ORGANIZATION_SORTS["name"]))


def organization_detail_queryset() -> QuerySet:
    """Everything the organisation card shows, in a fixed number of queries."""
    return Organization.objects.select_related("region").prefetch_related("regions", "signatories")


def staff_list_for(*, user: User, search: str = "", organization=None, role: str = "",
                   sort: str = "name") -> QuerySet:
    """Memberships `user` may see (operator: all; partner staff: their organisations')."""
    qs = filter_for_user(Membership.objects.select_related("user", "organization"), user)
    if search:
        for word in search.split():
            qs = qs.filter(Q(user__last_name__icontains=word) | Q(user__first_name__icontains=word)
                           | Q(user__patronymic__icontains=word) | Q(user__email__icontains=word))
    if organization:
        qs = qs.filter(organization=organization)
    if role:
        qs = qs.filter(role=role)
    return qs.order_by(*STAFF_SORTS.get(sort, STAFF_SORTS["name"]))


def staff_organizations_for(*, user: User) -> QuerySet:
    """Organisations offered in the staff list's filter."""
    return filter_for_user(Organization.objects.filter(is_active=True), user).order_by("short_name")


def access_token_find(*, raw_token: str, purposes) -> AccessToken | None:
    """The usable token behind a link, or None (unknown, used, superseded or expired)."""
    token = (AccessToken.objects.select_related("user")
             .filter(token_hash=AccessToken.hash(raw_token), purpose__in=purposes).first())
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    return token


def two_factor_device_for(*, user: User):
    """The user's confirmed authenticator device, if any."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def two_factor_has_device(*, user: User) -> bool:
    return user_has_device(user, confirmed=True)


def two_factor_required(*, user: User) -> bool:
    """Must `user` log in with an authenticator app? Every staff account when
    TWO_FACTOR_MANDATORY is on (production, AUTH-06); otherwise members of an organisation that
    requires it. Citizens never."""
    from django.conf import settings

    if user.is_citizen:
        return False
    if settings.TWO_FACTOR_MANDATORY and (user.is_staff or user.is_superuser or user.access.is_staff_member):
        return True
    return user.access.requires_two_factor
