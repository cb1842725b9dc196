"""Refuse weak secrets given in the environment (docs/security-checklist.md 36, docs/security.md F4).

A secret typed by a person or copied from an example is the usual way a signed-cookie key leaks:
with ``change-me`` anyone can forge a session. Hallmark generates its own secrets when none is
given; one that *is* given must look like the output of a random generator.
"""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 32
MIN_BITS = 128.0
PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "secret", "password", "example",
                "placeholder", "your-", "xxxxxxxx", "12345678", "hallmark", "todo", "dummy", "default")


def estimated_bits(value: str) -> float:
    """A conservative entropy estimate: length × the Shannon entropy of the characters used."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def weakness(value: str) -> str | None:
    """Why ``value`` is not acceptable as a secret, or ``None`` if it is."""
    lowered = value.lower()
    for word in PLACEHOLDERS:
        if word in lowered:
            return f"it contains the placeholder {word!r}"
    if len(value) < MIN_LENGTH:
        return f"it is {len(value)} characters long; at least {MIN_LENGTH} are needed"
    if estimated_bits(value) < MIN_BITS:
        return "it is too regular to be random"
    return None
