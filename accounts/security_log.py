"""The security log (LOG-02, LOG-05, LOG-06): one line per authentication event on the
`flow.security` logger, and the formatter that keeps every log line a single line.

What a line may hold: the event name, the user's id (never the e-mail, a passport or SNILS), the
client IP and the request ID. An unknown username is logged as a short hash, so that repeated
guesses at one address can be correlated without writing the address itself to the log.
Session keys are never logged.
"""
import hashlib
import logging

from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

logger = logging.getLogger("flow.security")

# Events (one test per event in tests/security/test_security_logging.py).
LOGIN_SUCCESS = "login.success"
LOGIN_FAILURE = "login.failure"
LOGIN_LOCKOUT = "login.lockout"
LOGOUT = "logout"
MFA_SUCCESS = "mfa.success"
MFA_FAILURE = "mfa.failure"
MFA_ENABLED = "mfa.enabled"
MFA_DISABLED = "mfa.disabled"
PASSWORD_CHANGE = "password.change"
PASSWORD_SET = "password.set"
PASSWORD_RESET_REQUEST = "password.reset_request"
SESSION_TIMEOUT = "session.timeout"
SESSIONS_ENDED = "sessions.ended"


def username_digest(username: str) -> str:
    """A short, stable pseudonym of a typed username (the e-mail never reaches the log)."""
    return hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:12]


def _client_ip(request) -> str:
    if request is None:
        return "-"
    # axes resolves the client IP through the trusted-proxy settings (AUTH-03); reuse it.
    ip = getattr(request, "axes_ip_address", None)
    return ip or request.META.get("REMOTE_ADDR", "-")


def security_event(event: str, *, request=None, user=None, level: int = logging.INFO, **fields) -> None:
    """Write one security event. `fields` are short technical values (counts, reasons)."""
    parts = [f"event={event}", f"user={getattr(user, 'pk', None) or '-'}", f"ip={_client_ip(request)}",
             f"request_id={getattr(request, 'request_id', '-') if request is not None else '-'}"]
    parts += [f"{key}={value}" for key, value in sorted(fields.items())]
    logger.log(level, " ".join(parts))


class SingleLineFormatter(logging.Formatter):
    """Escape CR, LF and other control characters in the whole formatted record (the message,
    its arguments and any traceback), so that user data such as a requested path can never
    forge a second log line (LOG-05). A traceback stays readable: its newlines become «\\n»."""

    _table = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x20), 0x7f) if code not in (0x0a, 0x0d, 0x09)}
    _table.update({0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"})

    def format(self, record):
        return super().format(record).translate(self._table)


# Django's and axes' authentication signals ---------------------------------------------------

@receiver(auth_signals.user_logged_in, dispatch_uid="flow.security.logged_in")
def _logged_in(sender, request, user, **kwargs):
    security_event(LOGIN_SUCCESS, request=request, user=user,
                   method="link" if getattr(user, "is_citizen", False) else "password")


@receiver(auth_signals.user_login_failed, dispatch_uid="flow.security.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    security_event(LOGIN_FAILURE, request=request, level=logging.WARNING,
                   username_hash=username_digest(credentials.get("username", "")))


@receiver(auth_signals.user_logged_out, dispatch_uid="flow.security.logged_out")
def _logged_out(sender, request, user, **kwargs):
    security_event(LOGOUT, request=request, user=user)


def _locked_out(sender, request, username, ip_address, **kwargs):
    security_event(LOGIN_LOCKOUT, request=request, level=logging.WARNING,
                   username_hash=username_digest(username or ""))


def connect_axes() -> None:
    """axes signals are imported lazily: axes must be loaded before its signal module."""
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="flow.security.locked_out")
