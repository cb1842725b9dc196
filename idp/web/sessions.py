"""Who is logged in to this browser: server-side sessions that can be revoked (docs/security.md F2).

The signed cookie holds only a random session token (and short-lived ceremony state); the
``browser_sessions`` row it names says who is signed in, with which key, since when, and whether
the session still holds. A session ends when its row is revoked — logout, "sign out everywhere",
revocation of the key it was made with, an account recovery, disabling the account — or 12 hours
after the login, however it is used meanwhile. Adding or revoking a key and changing the email
also need a *fresh* key touch: one made in this session within the last five minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec

from flask import Flask, Request, abort, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, delete, insert, select, update

from idp.people.accounts import USERS, Account
from idp.people.person import Person
from idp.people.session_revocation import (
    SESSIONS,
    revoke_all_of,
    revoke_made_with,
    revoke_one,
)
from idp.platform import clock
from idp.platform.secretfiles import sha256_hex
from idp.store import inline_sweep
from idp.store.db import db, execute
from idp.store.models import BrowserSession, User
from idp.web.safe_redirect import safe_next

__all__ = ["SignedIn", "active_sessions", "signed_in_user", "this_session", "log_in", "log_out", "login_required",
           "mark_touched",
           "revoke_all_of", "revoke_made_with", "revoke_one", "signed_in"]

# The machine endpoints: they answer JSON (errors too) and never read the browser session, so its
# cookie is not even verified there (the token endpoint must not depend on who is logged in).
MACHINE_PATHS = ("/token", "/userinfo", "/.well-known/")
SESSION_LIFETIME = 12 * 3600          # from the login, never extended
FRESH_TOUCH = 300                     # how long a key touch counts as fresh for adding/revoking keys
SEEN_EVERY = 300                      # last_seen_at is written at most this often

INSERT_SESSION = insert(SESSIONS)
SELECT_SESSION = (
    select(SESSIONS.c.id, SESSIONS.c.user_id, SESSIONS.c.credential_id, SESSIONS.c.created_at,
           SESSIONS.c.touched_at, SESSIONS.c.last_seen_at, SESSIONS.c.expires_at, SESSIONS.c.revoked_at,
           USERS.c.username, USERS.c.email, USERS.c.email_verified_at, USERS.c.disabled_at)
    .join(USERS, USERS.c.id == SESSIONS.c.user_id)
    .where(SESSIONS.c.token_hash == bindparam("token_hash")))
MARK_SEEN = update(SESSIONS).where(SESSIONS.c.id == bindparam("sid")).values(last_seen_at=bindparam("now"))
MARK_TOUCHED = update(SESSIONS).where(SESSIONS.c.id == bindparam("sid")).values(touched_at=bindparam("now"))


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app, not per request,
    and no session at all on the :data:`MACHINE_PATHS`."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(MACHINE_PATHS):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> Any:
        serializer = app.extensions.get("hallmark.session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["hallmark.session_serializer"] = serializer
        return serializer


@dataclass(frozen=True)
class SignedIn:
    """The valid session of this request and the account it belongs to."""

    id: int
    account: Account
    credential_id: int | None
    created_at: datetime
    touched_at: datetime

    @property
    def auth_time(self) -> int:
        return int(self.created_at.timestamp())

    def touched_recently(self) -> bool:
        return clock.now() - self.touched_at <= timedelta(seconds=FRESH_TOUCH)


def _load() -> SignedIn | None:
    token = session.get("sid")
    if not token:
        return None
    row = execute(SELECT_SESSION, {"token_hash": sha256_hex(token)}).first()
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.disabled_at is not None:
        session.clear()
        return None
    if now - row.last_seen_at > timedelta(seconds=SEEN_EVERY):
        execute(MARK_SEEN, {"sid": row.id, "now": now})
        db.session.commit()
    account = Account(id=row.user_id, username=row.username, email=row.email,
                      email_verified_at=row.email_verified_at, disabled_at=None)
    return SignedIn(id=row.id, account=account, credential_id=row.credential_id,
                    created_at=row.created_at, touched_at=row.touched_at)


def signed_in() -> SignedIn | None:
    """This request's valid session (read once per request), or ``None`` (and the cookie is dropped)."""
    if "hallmark_signed_in" not in g:
        g.hallmark_signed_in = _load()
    state: SignedIn | None = g.hallmark_signed_in
    return state


def this_session() -> SignedIn:
    """This request's session, in a view behind :func:`login_required` (a 401 anywhere else)."""
    state = signed_in()
    if state is None:
        abort(401)
    return state


def signed_in_user() -> User:
    """The signed-in user as an ORM object (the account pages follow relationships), in a view behind
    :func:`login_required`."""
    user = db.session.get(User, this_session().account.id)
    if user is None:
        abort(401)
    return user


def log_in(user: Person, credential_id: int | None) -> None:
    """Start a fresh session for ``user``, made with ``credential_id`` (the old session's data is
    dropped). The row is written in the caller's transaction; the caller commits."""
    session.clear()
    g.pop("hallmark_signed_in", None)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    if inline_sweep.due("browser sessions"):        # ended rows serve no one: the table stays bounded
        execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now), {})
    execute(INSERT_SESSION, {"token_hash": sha256_hex(token), "user_id": user.id, "credential_id": credential_id,
                         "created_at": now, "touched_at": now, "last_seen_at": now,
                         "expires_at": now + timedelta(seconds=SESSION_LIFETIME), "revoked_at": None,
                         "user_agent": request.headers.get("User-Agent", "")[:160]})
    session["sid"] = token
    session.permanent = True


def mark_touched() -> None:
    """Record a key touch made in this session just now (a step-up); the caller commits."""
    state = signed_in()
    if state is not None:
        execute(MARK_TOUCHED, {"sid": state.id, "now": clock.now()})
        g.pop("hallmark_signed_in", None)


def log_out() -> None:
    """End this browser's session, here and in the database."""
    state = signed_in()
    if state is not None:
        revoke_one(state.id)
        db.session.commit()
    session.clear()


def active_sessions(user_id: int) -> list[BrowserSession]:
    """The user's sessions that still hold, newest first."""
    return (BrowserSession.query.filter(BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None),
                                        BrowserSession.expires_at > clock.now())
            .order_by(BrowserSession.id.desc()).all())


P = ParamSpec("P")


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Redirect to the login page unless someone is logged in."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if signed_in() is None:
            return redirect(url_for("login.page", next=safe_next(request.path, "/account")))
        return view(*args, **kwargs)

    return wrapped
