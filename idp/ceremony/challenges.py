"""Server-side WebAuthn challenges: random, bound to the browser session, single use, 5 minutes.

The session is handed in by the web layer as ``slots`` (any mutable mapping: Flask's session in the
views): the challenge's id is kept there, its value only in the database.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from idp.platform import clock
from idp.platform.config import settings
from idp.store import inline_sweep
from idp.store.db import db, execute, table_of
from idp.store.models import Challenge

CHALLENGES = table_of(Challenge)
INSERT_CHALLENGE = insert(CHALLENGES)          # built once: every login issues and consumes one
SELECT_CHALLENGE = select(CHALLENGES).where(CHALLENGES.c.id == bindparam("cid"))
DELETE_CHALLENGE = delete(CHALLENGES).where(CHALLENGES.c.id == bindparam("cid"))


@dataclass(frozen=True)
class IssuedChallenge:
    """A consumed challenge, as the ceremony verifies it."""

    id: str
    purpose: str
    value: bytes
    user_id: int | None
    data: dict[str, Any]
    created_at: datetime


def _sweep_expired() -> None:
    """Delete expired challenges, at most once a minute per process: what strangers can make
    Hallmark store is then bounded by the rate limit x the challenge lifetime (finding F14)."""
    if inline_sweep.due("challenges"):
        stale = clock.now() - timedelta(seconds=settings().challenge_lifetime)
        execute(delete(CHALLENGES).where(CHALLENGES.c.created_at < stale), {})


def issue(purpose: str, slots: MutableMapping[str, Any], *, user_id: int | None = None, **data: Any) -> bytes:
    """Create a challenge for ``purpose`` and bind it to the session ``slots`` (replacing, and deleting,
    any earlier one of this session). Committed at once: the browser needs it before anything else."""
    value = secrets.token_bytes(32)
    cid = secrets.token_urlsafe(32)
    earlier = slots.get(f"challenge:{purpose}")
    if earlier:
        execute(DELETE_CHALLENGE, {"cid": earlier})
    _sweep_expired()
    execute(INSERT_CHALLENGE, {"id": cid, "purpose": purpose, "value": value, "user_id": user_id,
                           "data": data, "created_at": clock.now()})
    db.session.commit()
    slots[f"challenge:{purpose}"] = cid
    return value


def consume(purpose: str, slots: MutableMapping[str, Any]) -> IssuedChallenge | None:
    """Take the session's challenge for ``purpose`` and delete it *before* anything is verified.

    Returns ``None`` when the session has none, it was already used, or it expired.
    """
    cid = slots.pop(f"challenge:{purpose}", None)
    if not cid:
        return None
    row = execute(SELECT_CHALLENGE, {"cid": cid}).first()
    if row is None or row.purpose != purpose:
        return None
    deleted = execute(DELETE_CHALLENGE, {"cid": cid}).rowcount
    db.session.commit()
    if deleted != 1:
        return None
    lifetime = settings().challenge_lifetime
    if clock.now() - row.created_at > timedelta(seconds=lifetime):
        return None
    return IssuedChallenge(**row._mapping)
