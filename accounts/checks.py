"""No default or shared accounts (AUTH-07), as a database system check.

`manage.py check --database default --fail-level WARNING` (CI and every deployment) fails when an
account is named like a default one (admin@…, root@…, test@…) or a superuser has no named owner:
superusers are created by ops with `createsuperuser` for one person, whose name is filled in.
The check is tagged `database`, so plain `manage.py check` (no database yet) skips it.
"""
from django.core import checks
from django.db import DatabaseError

# Local parts of e-mails that name a role or a default, not a person.
FORBIDDEN_LOCAL_PARTS = frozenset({
    "admin", "administrator", "root", "test", "tester", "superuser", "user", "demo", "guest", "flow",
})


def _local_part(email: str) -> str:
    return email.rsplit("@", 1)[0].strip().lower()


def account_problems() -> list[str]:
    """Human-readable problems with the accounts table; empty when all is well."""
    from accounts.models import User

    problems = []
    for pk, email in User.objects.values_list("pk", "email").iterator():
        if _local_part(email) in FORBIDDEN_LOCAL_PARTS:
            problems.append(f"user #{pk} is a default or shared account ({_local_part(email)}@…)")
    for pk, last_name, first_name in User.objects.filter(is_superuser=True).values_list(
            "pk", "last_name", "first_name"):
        if not (last_name.strip() and first_name.strip()):
            problems.append(f"superuser #{pk} has no named owner (last and first name are required)")
    return problems


@checks.register(checks.Tags.database, checks.Tags.security)
def check_no_default_accounts(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    try:
        problems = account_problems()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    hint = "Rename the account after its owner; superusers are created by ops for one named person."
    # A warning, not an error: `migrate` runs database checks too, and must not stop on it.
    # Deployment and CI run `check --database default --fail-level WARNING`, which fails on it.
    return [checks.Warning(problem, hint=hint, id="accounts.W001") for problem in problems]
