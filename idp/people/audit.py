"""The audit log: who did what and when. Never where (no IP addresses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert

from idp.store.db import db, execute
from idp.store.models import AuditEvent, User

if TYPE_CHECKING:
    from idp.people.accounts import Account

INSERT_EVENT = insert(AuditEvent.__table__)   # built once: the token endpoint records an event per token


def record(event: str, *, user: User | Account | None = None, actor: str | None = None,
           security: bool = False, commit: bool = True, **details) -> None:
    """Append one audit event; ``actor`` defaults to the user's name."""
    execute(INSERT_EVENT, {
        "event": event,
        "user_id": user.id if user else None,
        "actor": actor or (user.username if user else "anonymous"),
        "security": security,
        "details": details,
    })
    if commit:
        db.session.commit()


def events_for(user: User, limit: int = 100) -> list[AuditEvent]:
    """The user's own audit events, newest first."""
    return (AuditEvent.query.filter_by(user_id=user.id)
            .order_by(AuditEvent.id.desc()).limit(limit).all())
