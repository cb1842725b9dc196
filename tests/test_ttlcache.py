"""Per-process caches: reused within their lifetime, recomputed after it, dropped by forget()."""

from __future__ import annotations

from flask import Flask

from idp.platform import ttlcache


def test_a_value_is_reused_within_its_lifetime_and_recomputed_after(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(ttlcache.time, "monotonic", lambda: now[0])
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with Flask(__name__).app_context():
        assert ttlcache.cached("x", "k", compute) == 1
        now[0] += ttlcache.DEFAULT_SECONDS - 0.01
        assert ttlcache.cached("x", "k", compute) == 1
        now[0] += 0.02
        assert ttlcache.cached("x", "k", compute) == 2
        assert ttlcache.cached("x", "other", compute) == 3          # keys are separate


def test_values_refused_by_keep_are_not_stored_and_forget_drops_the_rest():
    with Flask(__name__).app_context():
        assert ttlcache.cached("clients", "nobody", lambda: None, keep=lambda v: v is not None) is None
        assert ttlcache.cached("clients", "nobody", lambda: "registered since",
                               keep=lambda v: v is not None) == "registered since"
        ttlcache.forget("clients")
        assert ttlcache.cached("clients", "nobody", lambda: "fresh") == "fresh"


def test_caches_are_per_app():
    with Flask("one").app_context():
        assert ttlcache.cached("x", None, lambda: "one") == "one"
    with Flask("two").app_context():
        assert ttlcache.cached("x", None, lambda: "two") == "two"
