"""A Redis cache that degrades instead of failing while Redis is away (fault R2, SESS-05).

Flow uses the cache only for things it can do without: the cached half of `cached_db` sessions
(the database holds the session), rate-limit counters and memoised reads. So a cache error is
logged and answered as a miss — the request goes on against the database — instead of turning
every page of a logged-in user into a 500 until Redis returns. Connection attempts are bounded by
short socket timeouts (settings), so a dead Redis costs a request milliseconds, not minutes.
"""
import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("flow.cache")
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 60.0  # seconds between two "cache unavailable" warnings of one process
_last_warning = 0.0


def _missing(key, *args, **kwargs):
    # What Django's caches raise for a key that is not there: callers of incr reset the key.
    raise ValueError(f"Key '{key}' not found (cache unavailable)")


def _degrading(miss):
    """Wrap a RedisCache operation: while Redis is unreachable, log (once a minute) and answer
    `miss(*args)` — the operation's own "not there" answer."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                global _last_warning
                now = time.monotonic()
                if now - _last_warning >= WARN_EVERY:
                    _last_warning = now
                    logger.warning("cache unavailable (%s: %s); going on without it", method.__name__,
                                   type(error).__name__)
                return miss(*args, **kwargs)
        return wrapper
    return decorate


class DegradingRedisCache(RedisCache):
    """Django's RedisCache whose every operation answers a miss while Redis cannot be reached."""

    get = _degrading(lambda key, default=None, *rest, **kw: default)(RedisCache.get)
    get_many = _degrading(lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _degrading(lambda *args, **kwargs: False)(RedisCache.has_key)
    add = _degrading(lambda *args, **kwargs: False)(RedisCache.add)
    set = _degrading(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _degrading(lambda data, *rest, **kwargs: list(data))(RedisCache.set_many)
    touch = _degrading(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _degrading(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _degrading(lambda *args, **kwargs: None)(RedisCache.delete_many)
    incr = _degrading(_missing)(RedisCache.incr)
    clear = _degrading(lambda *args, **kwargs: False)(RedisCache.clear)
