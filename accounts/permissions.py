"""Role gates of the accounts app, computed from `user.access` (no guardian rows here).

Views turn a False into 403 (`core.access.require`); services re-check the write rules.
"""


def may_manage_staff(user) -> bool:
    """Register staff, resend invitations, grant «may replace citizen documents»: operator
    reviewers and ops (superusers). `None` is manage.py, trusted like ops."""
    return user is None or user.is_superuser or user.access.is_operator


def may_view_staff_list(user) -> bool:
    """The operator (and auditors) see all staff; partner staff their own organisations'."""
    access = user.access
    return user.is_superuser or access.sees_all_partners or access.is_partner_staff


def may_view_organizations(user) -> bool:
    """Any organisation role (or ops) opens organisation cards; which ones is `visible_to`'s job."""
    return user.is_superuser or user.is_staff or user.access.is_staff_member


def uses_password(user) -> bool:
    """Staff log in by password (and so may change it, or bind a second factor); citizens never."""
    return user.is_authenticated and not user.is_citizen
