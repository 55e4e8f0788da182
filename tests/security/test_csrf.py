"""ACL-10: CSRF protection on every state-changing endpoint. The per-URL proof (a POST without a
token is refused by the CSRF check, for every POST row of the access matrix, as the persona that
would succeed) is `tests/test_access_matrix.py::test_a_post_without_a_csrf_token_is_refused`; here
the code-level rules that keep it true: nothing opts out of the check, and the middleware is on.
"""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "node_modules", "tests", "var", "static", "locale", ".git", "bench"}
# Machine endpoints that may skip CSRF must authenticate otherwise (HMAC or mTLS) and be listed here
# with the reason. Flow has none: the РР and Odin feeds arrive as files through management commands.
ALLOWLIST: dict[str, str] = {}
OPT_OUTS = re.compile(r"csrf_exempt|csrf_processing_done|_dont_enforce_csrf_checks|CsrfExempt")


def _sources():
    for path in ROOT.rglob("*"):
        if path.suffix not in (".py", ".html") or SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
            continue
        yield path


def test_no_view_opts_out_of_csrf():
    found = {str(path.relative_to(ROOT)) for path in _sources() if OPT_OUTS.search(path.read_text("utf-8"))}
    assert found <= ALLOWLIST.keys(), f"csrf_exempt outside the allowlist: {sorted(found - ALLOWLIST.keys())}"


def test_the_sweep_reads_the_views():
    """The scan above does look at the apps' views (so an empty result means something)."""
    names = {str(path.relative_to(ROOT)) for path in _sources()}
    assert {"core/views.py", "enrollment/views/applications.py", "accounts/views.py"} <= names


def test_the_csrf_middleware_is_on():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    assert settings.CSRF_COOKIE_SAMESITE in ("Lax", "Strict")
