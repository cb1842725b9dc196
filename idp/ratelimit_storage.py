"""The in-process rate-limit counters (``HALLMARK_RATELIMIT_STORAGE=memory://``, the default).

``limits``' ``MemoryStorage`` starts a timer thread to expire counters whenever none is running, so
under load a worker starts a thread every 10 ms; those starts cost ~4% of the code flow's throughput
(``bench/load.py``). This subclass expires a counter when it is used, as the fixed-window strategy
already does on read, and sweeps the stale ones inline once a minute.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

SCHEME = "hallmark-memory"
SWEEP_EVERY = 60.0


class InlineExpiryMemoryStorage(MemoryStorage):
    """``MemoryStorage`` for the fixed-window strategy, without a timer thread."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = time.time() + SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` hits on ``key``; a counter whose window is over starts again from zero."""
        now = time.time()
        if now >= self.next_sweep:
            self.sweep(now)
        self.get(key)                                   # drops the counter if its window is over
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = now + expiry
        return self.storage.get(key, 0)

    def sweep(self, now: float) -> None:
        """Forget every counter whose window is over (memory stays bounded by the active clients)."""
        self.next_sweep = now + SWEEP_EVERY
        for key, expires in list(self.expirations.items()):
            if expires <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter: ours for ``memory://``, anything else unchanged."""
    return f"{SCHEME}://" if configured == "memory://" else configured
