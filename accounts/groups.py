"""Model-permission groups for the roles that work in Django admin.

Operator reviewers work chiefly in the admin (DESIGN §2): their group gets view/add/change on
Flow's own apps, never delete (nothing in Flow is deleted by a reviewer), and the admin's actions
call services, so status fields stay out of their reach.
"""
from django.contrib.auth.models import Group, Permission

OPERATOR_GROUP = "Представители федерального оператора"
FLOW_APPS = ("core", "accounts", "documents", "programs", "enrollment", "orders", "cohorts")


def operator_group() -> Group:
    """The operator reviewers' group, with its permissions brought up to date (idempotent)."""
    group, _ = Group.objects.get_or_create(name=OPERATOR_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=FLOW_APPS).exclude(codename__startswith="delete_")
    group.permissions.set(perms)
    return group
