"""Server-side WebAuthn challenges: random, bound to the browser session, single use, 5 minutes."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, session

from . import clock
from .extensions import db
from .models import Challenge


def issue(purpose: str, *, user_id: int | None = None, **data) -> bytes:
    """Create a challenge for ``purpose`` and bind it to this session (replacing any earlier one)."""
    value = secrets.token_bytes(32)
    cid = secrets.token_urlsafe(32)
    db.session.add(Challenge(id=cid, purpose=purpose, value=value, user_id=user_id, data=data))
    db.session.commit()
    session[f"challenge:{purpose}"] = cid
    return value


def consume(purpose: str) -> Challenge | None:
    """Take this session's challenge for ``purpose`` and delete it *before* anything is verified.

    Returns ``None`` when the session has none, it was already used, or it expired.
    """
    cid = session.pop(f"challenge:{purpose}", None)
    if not cid:
        return None
    row = db.session.get(Challenge, cid)
    if row is None or row.purpose != purpose:
        return None
    snapshot = Challenge(id=row.id, purpose=row.purpose, value=row.value, user_id=row.user_id,
                         data=dict(row.data), created_at=row.created_at)
    deleted = Challenge.query.filter_by(id=cid).delete(synchronize_session=False)
    db.session.commit()
    if deleted != 1:
        return None
    lifetime = current_app.extensions["hallmark"].challenge_lifetime
    if clock.now() - snapshot.created_at > timedelta(seconds=lifetime):
        return None
    return snapshot


def purge_expired() -> int:
    """Delete challenges older than their lifetime; returns how many."""
    lifetime = current_app.extensions["hallmark"].challenge_lifetime
    cutoff = clock.now() - timedelta(seconds=lifetime)
    count = Challenge.query.filter(Challenge.created_at < cutoff).delete(synchronize_session=False)
    db.session.commit()
    return count
