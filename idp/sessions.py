"""Who is logged in to this browser session."""

from __future__ import annotations

from functools import wraps

from flask import Flask, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from . import clock
from .accounts import Account, enabled_account
from .extensions import db
from .models import User


# The machine endpoints: they answer JSON (errors too) and never read the browser session, so its
# cookie is not even verified there (the token endpoint must not depend on who is logged in).
MACHINE_PATHS = ("/token", "/userinfo", "/.well-known/")


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app, not per request,
    and no session at all on the :data:`MACHINE_PATHS`."""

    def open_session(self, app: Flask, request):
        if request.path.startswith(MACHINE_PATHS):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask):
        serializer = app.extensions.get("hallmark.session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["hallmark.session_serializer"] = serializer
        return serializer


def current_user() -> User | None:
    """The logged-in, not disabled, user of this session, if any."""
    uid = session.get("uid")
    if uid is None:
        return None
    user = db.session.get(User, uid)
    if user is None or user.disabled_at is not None:
        session.clear()
        return None
    return user


def current_account() -> Account | None:
    """Like :func:`current_user`, as a read-only :class:`Account` (the authorize endpoint's cheap read)."""
    uid = session.get("uid")
    if uid is None:
        return None
    account = enabled_account(uid)
    if account is None:
        session.clear()
    return account


def log_in(user: User | Account) -> None:
    """Start a fresh session for ``user`` (the old session's data is dropped)."""
    session.clear()
    session["uid"] = user.id
    session["auth_time"] = clock.timestamp()
    session.permanent = True


def login_required(view):
    """Redirect to the login page unless someone is logged in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("login.page", next=request.path))
        return view(*args, **kwargs)

    return wrapped
