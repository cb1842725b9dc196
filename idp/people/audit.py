"""The audit log: who did what and when. Never where (no IP addresses).

An event is written in the caller's transaction and committed with the change it describes: an
action and its audit event are one transaction, so neither exists without the other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from idp.people.person import Person
from idp.store.db import execute, table_of
from idp.store.models import AuditEvent

INSERT_EVENT = insert(table_of(AuditEvent))   # built once: the token endpoint records an event per token


def record(event: str, *, user: Person | None = None, actor: str | None = None,
           security: bool = False, **details: Any) -> None:
    """Append one audit event to the caller's transaction; ``actor`` defaults to the user's name."""
    execute(INSERT_EVENT, {
        "event": event,
        "user_id": user.id if user else None,
        "actor": actor or (user.username if user else "anonymous"),
        "security": security,
        "details": details,
    })


def events_for(user: Person, limit: int = 100, offset: int = 0) -> list[AuditEvent]:
    """The user's own audit events, newest first (failed sign-ins with their keys included)."""
    events: list[AuditEvent] = (AuditEvent.query.filter_by(user_id=user.id)
                                .order_by(AuditEvent.id.desc()).offset(offset).limit(limit).all())
    return events
