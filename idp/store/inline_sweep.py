"""Throttle for the inline sweeps that keep strangers' rows bounded between purges (finding F14)."""

from __future__ import annotations

import time

_due: dict[str, float] = {}


def due(name: str, every: float = 60.0) -> bool:
    """True at most once per ``every`` seconds for ``name`` in this process."""
    now = time.monotonic()
    if now < _due.get(name, 0.0):
        return False
    _due[name] = now + every
    return True
