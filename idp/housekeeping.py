"""Deleting short-lived rows once they can no longer matter (``hallmark db purge``).

Every login leaves a challenge, a code, a token record and perhaps a login grant or a device code;
at hundreds of sign-ins a second these tables would grow without end. What is kept, and why:
- a code stays until the tokens it issued have expired, so that replaying it still revokes them;
- token records stay until the token expires (userinfo checks revocation by ``jti``);
- the audit log, users, keys, credentials and invitations are never purged here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from . import clock
from .config import Settings
from .extensions import db
from .models import AuthorizationCode, Challenge, DeviceCode, IssuedToken, LoginGrant


def purge_expired(settings: Settings) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each kind went."""
    now = clock.now()
    stale_touch = now - timedelta(seconds=settings.challenge_lifetime)
    steps = [   # tokens before the codes they reference
        ("token records", delete(IssuedToken).where(IssuedToken.expires_at < now)),
        ("authorization codes", delete(AuthorizationCode).where(
            AuthorizationCode.expires_at < now - timedelta(seconds=settings.token_lifetime))),
        ("challenges", delete(Challenge).where(Challenge.created_at < stale_touch)),
        ("login grants", delete(LoginGrant).where(LoginGrant.created_at < stale_touch)),
        ("device codes", delete(DeviceCode).where(DeviceCode.expires_at < now)),
    ]
    counts = {name: db.session.execute(statement).rowcount for name, statement in steps}
    db.session.commit()
    return counts
