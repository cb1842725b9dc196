"""A key touch made on an authorization request's own login page, kept as a one-time grant for that
exact request (finding F9: a sign-in at /login never approves a request planted earlier)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, update

from idp.platform import clock
from idp.platform.config import settings
from idp.store.db import db, execute, table_of
from idp.store.models import LoginGrant

GRANTS = table_of(LoginGrant)
INSERT_GRANT = insert(GRANTS)    # built once: one per signing login
USE_GRANT = (update(GRANTS)
             .where(GRANTS.c.id == bindparam("grant_id"), GRANTS.c.used_at.is_(None),
                    GRANTS.c.request_hash == bindparam("hash"), GRANTS.c.created_at > bindparam("fresh_after"))
             .values(used_at=bindparam("now"))
             .returning(GRANTS.c.user_id, GRANTS.c.credential_id, GRANTS.c.created_at))


@dataclass(frozen=True)
class UsedGrant:
    """Whose touch it was, with which key, and when."""

    user_id: int
    credential_id: int
    created_at: datetime


def record(user_id: int, credential_id: int, request_hash: str) -> str:
    """A grant for the request ``request_hash``, in the caller's transaction; returns its id."""
    grant_id = secrets.token_urlsafe(32)
    execute(INSERT_GRANT, {"id": grant_id, "user_id": user_id, "credential_id": credential_id,
                           "request_hash": request_hash, "created_at": clock.now(), "used_at": None})
    return grant_id


def consume(grant_id: str, request_hash: str) -> UsedGrant | None:
    """Use the grant ``grant_id`` for the request ``request_hash``: once, and only while it is fresh (as
    long as a challenge lives). Committed at once."""
    now = clock.now()
    row = execute(USE_GRANT, {"grant_id": grant_id, "hash": request_hash, "now": now,
                              "fresh_after": now - timedelta(seconds=settings().challenge_lifetime)}).first()
    db.session.commit()
    return UsedGrant(user_id=row.user_id, credential_id=row.credential_id, created_at=row.created_at) if row else None
