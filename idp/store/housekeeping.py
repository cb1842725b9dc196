"""Deleting short-lived rows once they can no longer matter (``hallmark db purge``).

Every login leaves a challenge, a code, a token record and perhaps a login grant or a device code;
at hundreds of sign-ins a second these tables would grow without end. What is kept, and why:
- a code stays until the tokens it issued have expired, so that replaying it still revokes them;
- token records stay until the token expires (userinfo checks revocation by ``jti``);
- signing records stay for ``HALLMARK_SIGNING_RECORD_DAYS`` (about 13 months): the identity monitor
  matches certificates in the logs against them;
- the audit log, users, keys, credentials and invitations are never purged here.

Rows go in batches, each its own short transaction, so that on SQLite logins keep getting the write
lock between batches instead of waiting behind one long delete. The oldest rows come first in a
table scan (they were inserted first), so each batch finds its rows without an extra index.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from idp.platform import clock
from idp.platform.config import Settings
from idp.store.db import db, execute, table_of
from idp.store.models import (
    AuthorizationCode,
    Challenge,
    DeviceCode,
    IssuedToken,
    LoginGrant,
    SigningRecord,
)

BATCH = 5000


def _delete_in_batches(model: type[Any], condition: ColumnElement[bool], batch_size: int) -> int:
    table = table_of(model)
    key = next(iter(table.primary_key.columns))
    total = 0
    while True:
        oldest = select(key).where(condition).limit(batch_size).scalar_subquery()
        deleted: int = execute(delete(table).where(key.in_(oldest)), {}).rowcount
        db.session.commit()
        total += deleted
        if deleted < batch_size:
            return total


def purge_expired(settings: Settings, batch_size: int = BATCH) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each kind went."""
    now = clock.now()
    stale_touch = now - timedelta(seconds=settings.challenge_lifetime)
    steps = [   # tokens before the codes they reference
        ("token records", IssuedToken, IssuedToken.expires_at < now),
        ("authorization codes", AuthorizationCode,
         AuthorizationCode.expires_at < now - timedelta(seconds=settings.token_lifetime)),
        ("challenges", Challenge, Challenge.created_at < stale_touch),
        ("login grants", LoginGrant, LoginGrant.created_at < stale_touch),
        ("device codes", DeviceCode, DeviceCode.expires_at < now),
        ("signing records", SigningRecord,
         SigningRecord.issued_at < now - timedelta(days=settings.signing_record_days)),
    ]
    return {name: _delete_in_batches(model, condition, batch_size) for name, model, condition in steps}
