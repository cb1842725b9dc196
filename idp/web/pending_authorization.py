"""What the browser session remembers between an authorization request and the key touch made for it:
the request's hash and start time, then the one-time login grant the touch produced (findings F7, F9).

The only module besides ``idp.web.sessions`` that writes the browser session's keys.
"""

from __future__ import annotations

from flask import session

from idp.platform import clock

REQUEST, STARTED, GRANT = "authorize_request", "authorize_started", "login_grant"


def remember(request_hash: str) -> tuple[str, int]:
    """Note the authorization request this browser is about to touch a key for; returns it and its start."""
    session[REQUEST], session[STARTED] = request_hash, clock.timestamp()
    return session[REQUEST], session[STARTED]


def request_hash() -> str | None:
    """The pending request's hash (kept if a touch fails, so that a retry still approves it)."""
    pending = session.get(REQUEST)
    return pending if isinstance(pending, str) else None


def started() -> int | None:
    """When the pending request started (shown on the out-of-band page)."""
    value = session.get(STARTED)
    return value if isinstance(value, int) else None


def grant(grant_id: str, started_at: int | None) -> None:
    """After a login made for the pending request (the session was renewed): its one-time grant."""
    session[GRANT], session[STARTED] = grant_id, started_at


def take_grant() -> str | None:
    """The login grant, once."""
    value = session.pop(GRANT, None)
    return value if isinstance(value, str) else None


def take_started() -> int | None:
    """The pending request's start time, once (the out-of-band page shows it)."""
    value = session.pop(STARTED, None)
    return value if isinstance(value, int) else None
