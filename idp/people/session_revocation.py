"""Ending browser sessions (docs/security.md F2): the one module that revokes ``browser_sessions`` rows.

Kept apart from :mod:`idp.web.sessions` (which reads the request's cookie) so that account services
such as :func:`idp.people.accounts.set_disabled` can end sessions without depending on the web layer.
Every function writes in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, update

from idp.platform import clock
from idp.store.db import db, execute, table_of
from idp.store.models import BrowserSession

SESSIONS = table_of(BrowserSession)


def _revoke(condition: ColumnElement[bool]) -> int:
    revoked: int = execute(update(SESSIONS).where(condition, SESSIONS.c.revoked_at.is_(None))
                           .values(revoked_at=clock.now()), {}).rowcount
    return revoked


def revoke_one(session_id: int) -> int:
    """End one session (logout, or "sign out" of one browser on the account page)."""
    return _revoke(SESSIONS.c.id == session_id)


def revoke_all_of(user_id: int) -> int:
    """End every session of ``user_id`` (sign out everywhere, recovery, disable)."""
    return _revoke(SESSIONS.c.user_id == user_id)


def revoke_made_with(credential_id: int) -> int:
    """End every session that was signed in with ``credential_id`` (the key was revoked)."""
    return _revoke(SESSIONS.c.credential_id == credential_id)


def revoke_own(user_id: int, session_id: int) -> bool:
    """End ``user_id``'s own browser session ``session_id``; ``False`` if it is not theirs."""
    row = db.session.get(BrowserSession, session_id)
    if row is None or row.user_id != user_id:
        return False
    revoke_one(row.id)
    return True
