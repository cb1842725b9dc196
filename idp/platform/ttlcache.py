"""Short-lived per-app caches for what every request reads but rarely changes (keys, JWKS, clients).

Each process keeps its own copy for a few seconds, so a change made elsewhere (another worker, the
CLI) is seen within ``seconds``; the process that makes a change calls :func:`forget`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
DEFAULT_SECONDS = 5.0


def cached(name: str, key: Hashable, compute: Callable[[], T], seconds: float = DEFAULT_SECONDS,
           keep: Callable[[T], bool] = lambda value: True) -> T:
    """``compute()``'s value for ``key``, reused for ``seconds``; values failing ``keep`` are not stored."""
    store: dict[Hashable, tuple[float, T]] = current_app.extensions.setdefault(f"hallmark.cache.{name}", {})
    now = time.monotonic()
    hit = store.get(key)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = compute()
    if keep(value):
        store[key] = (now, value)
    return value


def forget(*names: str) -> None:
    """Drop this app's caches ``names`` (after a change made in this process)."""
    for name in names:
        current_app.extensions.pop(f"hallmark.cache.{name}", None)
