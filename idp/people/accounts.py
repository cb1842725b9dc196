"""A read-only view of a user for the OAuth hot path: one indexed read, no ORM object.

The account pages keep using the ORM :class:`~idp.store.models.User` (they follow relationships); the
authorize and token endpoints only need who the user is and whether the account is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from idp.people import audit
from idp.people.identity import USERNAME_RE
from idp.people.session_revocation import revoke_all_of
from idp.platform import clock
from idp.platform.words import _l
from idp.store.db import db, execute, table_of
from idp.store.models import IssuedToken, User

USERS = table_of(User)
SELECT_ACCOUNT = select(USERS.c.id, USERS.c.username, USERS.c.email, USERS.c.email_verified_at,
                        USERS.c.disabled_at).where(USERS.c.id == bindparam("user_id"))


@dataclass(frozen=True)
class Account:
    """Who a token is for: the columns the identity claims and the audit log read."""

    id: int
    username: str
    email: str | None
    email_verified_at: datetime | None
    disabled_at: datetime | None

    def get_user_id(self) -> int:
        return self.id


def enabled_account(user_id: int) -> Account | None:
    """The account ``user_id`` if it exists and is not disabled."""
    row = execute(SELECT_ACCOUNT, {"user_id": user_id}).first()
    if row is None or row.disabled_at is not None:
        return None
    return Account(**row._mapping)


class AccountError(ValueError):
    """An account action cannot be done (unknown user, or already in that state)."""


def set_disabled(username: str, disabled: bool, *, actor: str, reason: str | None = None) -> None:
    """Disable (or re-enable) ``username``: a disabled account cannot log in, its browser sessions end
    for good (enabling it again does not revive them), codes and device approvals it was given yield
    no token, and the tokens it holds are revoked (userinfo refuses them). Audited."""
    user = User.query.filter_by(username=username).first()
    if user is None:
        raise AccountError(_l("no user %(name)r", name=username))
    if (user.disabled_at is not None) == disabled:
        raise AccountError(_l("%(name)s is already disabled", name=username) if disabled
                           else _l("%(name)s is already enabled", name=username))
    if disabled:
        now = clock.now()
        user.disabled_at = now
        revoked = (IssuedToken.query.filter_by(user_id=user.id, revoked_at=None)
                   .update({"revoked_at": now}, synchronize_session=False))
        ended = revoke_all_of(user.id)       # and they stay ended when the account is enabled again
        audit.record("account.disabled", user=user, actor=actor, security=True, revoked_tokens=revoked,
                     sessions_ended=ended, **({"reason": reason} if reason else {}))
    else:
        user.disabled_at = None
        audit.record("account.enabled", user=user, actor=actor, security=True, **({"reason": reason} if reason else {}))
    db.session.commit()


def named(username: str) -> User | None:
    """The account called ``username`` (``None`` for a name that cannot be one, without a query)."""
    if not USERNAME_RE.fullmatch(username):
        return None
    user: User | None = User.query.filter_by(username=username).first()
    return user
