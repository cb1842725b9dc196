"""One-time enrollment invitations (only the token's hash is stored)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from idp.people import audit
from idp.platform import clock
from idp.platform.secretfiles import sha256_hex
from idp.store.db import db
from idp.store.models import Invite, User


def create(*, admin: bool, lifetime: int, recover_user_id: int | None = None, actor: str | None = None) -> str:
    """Create an invitation (to enroll, or to recover the account ``recover_user_id``) and return its
    token; with ``actor``, audited in the same transaction."""
    token = secrets.token_urlsafe(32)
    db.session.add(Invite(token_hash=sha256_hex(token), is_admin=admin, recover_user_id=recover_user_id,
                          expires_at=clock.now() + timedelta(seconds=lifetime)))
    if actor is not None and recover_user_id is not None:
        audit.record("account.recovery_link_created", user=db.session.get(User, recover_user_id), actor=actor,
                     security=True)
    elif actor is not None:
        audit.record("invite.created", actor=actor, admin=admin)
    db.session.commit()
    return token


def find_usable(token: str) -> Invite | None:
    """The invitation for ``token`` if it is unused and unexpired."""
    invite: Invite | None = Invite.query.filter_by(token_hash=sha256_hex(token)).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= clock.now():
        return None
    return invite


def claim(token: str) -> Invite | None:
    """Atomically mark the invitation used; ``None`` if someone else got there first."""
    now = clock.now()
    claimed = (Invite.query.filter(Invite.token_hash == sha256_hex(token), Invite.used_at.is_(None),
                                   Invite.expires_at > now)
               .update({"used_at": now}, synchronize_session=False))
    if claimed != 1:
        db.session.rollback()
        return None
    return Invite.query.filter_by(token_hash=sha256_hex(token)).first()



def pending() -> list[Invite]:
    """Invitations not used yet and not expired, newest first."""
    now = clock.now()
    found: list[Invite] = (Invite.query.filter(Invite.used_at.is_(None), Invite.expires_at > now)
                           .order_by(Invite.id.desc()).all())
    return found


def expire(invite_id: int, *, actor: str) -> bool:
    """End an unused invitation now (audited); ``False`` if there is no such pending one."""
    now = clock.now()
    ended = (Invite.query.filter(Invite.id == invite_id, Invite.used_at.is_(None), Invite.expires_at > now)
             .update({"expires_at": now}, synchronize_session=False))
    if ended == 1:
        audit.record("invite.expired", actor=actor, invite=invite_id)
    db.session.commit()
    return bool(ended)


def enrollment_link(issuer: str, token: str) -> str:
    """The link a person opens to enroll (or recover) with ``token``."""
    return f"{issuer}/enroll/{token}"
