"""The Redis cache answers misses, quickly, while Redis cannot be reached (core/cache.py, SESS-05)."""
import socket
import time

import pytest

from core.cache import DegradingRedisCache


@pytest.fixture
def dead_cache(caplog):
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return DegradingRedisCache(f"redis://127.0.0.1:{port}/0",
                               {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})


def test_every_operation_is_a_miss_and_is_logged_once(dead_cache, caplog, monkeypatch):
    monkeypatch.setattr("core.cache._last_warning", 0.0)
    started = time.monotonic()
    assert dead_cache.get("k", "default") == "default"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.has_key("k") is False
    assert dead_cache.add("k", 1) is False
    assert dead_cache.set("k", 1) is None
    assert dead_cache.set_many({"a": 1}) == ["a"]
    assert dead_cache.touch("k") is False
    assert dead_cache.delete("k") is False
    assert dead_cache.delete_many(["a"]) is None
    with pytest.raises(ValueError, match="cache unavailable"):  # what a missing key gives: callers reset it
        dead_cache.incr("k")
    assert time.monotonic() - started < 10
    warnings = [r for r in caplog.records if r.name == "flow.cache"]
    assert len(warnings) == 1
    assert "going on without it" in warnings[0].getMessage()
