"""Ending sessions (SESS-04) and their lifetimes (SESS-03).

Sessions live in the database behind the cache (`cached_db`), so ending one goes through the
session engine: that drops the cached copy too. Finding a user's sessions decodes the live
ones; it runs on rare events (deactivation, an ops command), never on a page view.
"""
import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.utils import timezone

from accounts import security_log

AUTH_AT_SESSION = "flow:auth_at"
SEEN_AT_SESSION = "flow:seen_at"


def _engine():
    return import_module(settings.SESSION_ENGINE)


def session_keys_for(user) -> list[str]:
    """Keys of the unexpired sessions logged in as `user`."""
    store = _engine().SessionStore()
    keys = []
    for key, data in Session.objects.filter(expire_date__gt=timezone.now()).values_list(
            "session_key", "session_data").iterator():
        if str(store.decode(data).get(SESSION_KEY)) == str(user.pk):
            keys.append(key)
    return keys


def sessions_end(*, user, keep: str | None = None, reason: str, request=None) -> int:
    """End every session of `user` except the one keyed `keep`; returns how many ended."""
    engine = _engine()
    ended = 0
    for key in session_keys_for(user):
        if key != keep:
            engine.SessionStore(session_key=key).delete()
            ended += 1
    security_log.security_event(security_log.SESSIONS_ENDED, request=request, user=user, reason=reason,
                                count=ended)
    return ended


def session_limits(user) -> tuple[int, int]:
    """(idle, absolute) lifetimes in seconds for `user`: staff handle many people's data and get
    the shorter idle time; citizens see only their own file (values in settings, SESS-03)."""
    if getattr(user, "is_citizen", False):
        return settings.CITIZEN_SESSION_IDLE_SECONDS, settings.CITIZEN_SESSION_ABSOLUTE_SECONDS
    return settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_ABSOLUTE_SECONDS


def session_clock_start(session) -> None:
    """The absolute lifetime counts from the login; the idle time from the last request."""
    now = int(time.time())
    session[AUTH_AT_SESSION] = now
    session[SEEN_AT_SESSION] = now


@receiver(user_logged_in, dispatch_uid="flow.sessions.clock_start")
def _clock_start_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_clock_start(request.session)
