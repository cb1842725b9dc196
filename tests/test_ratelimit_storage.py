"""The in-process rate-limit counters: same limits as ``limits``' memory storage, no timer threads."""

from __future__ import annotations

import threading

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from idp.store import ratelimit_storage
from idp.store.ratelimit_storage import InlineExpiryMemoryStorage


def test_memory_uri_selects_it_and_other_uris_are_kept():
    assert isinstance(storage_from_string(ratelimit_storage.storage_uri("memory://")), InlineExpiryMemoryStorage)
    assert ratelimit_storage.storage_uri("redis://localhost:6379") == "redis://localhost:6379"


def test_a_window_limits_hits_and_a_new_window_starts_from_zero(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ratelimit_storage.time, "time", lambda: now[0])
    storage = InlineExpiryMemoryStorage()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("other", 60) == 1                          # keys are counted apart
    now[0] += 59.9
    assert storage.incr("k", 60) == 4
    now[0] += 0.2
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: now[0])    # get() reads the clock too
    assert storage.incr("k", 60) == 1


def test_the_strategy_refuses_over_the_limit():
    limiter = FixedWindowRateLimiter(InlineExpiryMemoryStorage())
    limit = parse("2 per minute")
    assert [limiter.hit(limit, "ip") for _ in range(3)] == [True, True, False]


def test_no_thread_is_started_per_hit_and_stale_counters_are_swept():
    storage = InlineExpiryMemoryStorage()
    storage.timer.join()                                  # the parent class's one start-up timer
    threads = threading.active_count()
    for i in range(500):
        storage.incr(f"key-{i}", 0.001)
    assert threading.active_count() == threads
    assert len(storage.storage) == 500
    storage.sweep(storage.next_sweep)
    assert not storage.storage and not storage.expirations
