"""Admin for operator reviewers: programs and cohorts (programs.py), the money side (contracts.py)."""
from programs.admin import contracts, programs  # noqa: F401 - registers the admins
