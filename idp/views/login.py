"""Login with a security key: discoverable first, username + key as fallback."""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address

from idp.ceremony import challenges, webauthn
from idp.ceremony.ceremonies import finish_assertion
from idp.oauth import login_grants
from idp.people import accounts, audit
from idp.platform.config import settings
from idp.store.db import db
from idp.web import pending_authorization
from idp.web.extensions import limiter, login_limit
from idp.web.jsonbody import json_object
from idp.web.safe_redirect import safe_next
from idp.web.sessions import log_in, log_out

bp = Blueprint("login", __name__)


def decoy_credential_ids(username: str) -> list[bytes]:
    """Credential ids for a name with no usable account: derived from the name with the app's secret,
    so that they are the same on every call, one or two of them, of the lengths real keys use
    (finding F10: an unknown name must look like a known one)."""
    seed = hmac.new(str(current_app.secret_key).encode(), b"decoy:" + username.encode(), hashlib.sha256).digest()
    lengths = (16, 32, 48, 64)
    count = 1 + seed[0] % 2
    ids = []
    for index in range(count):
        block = hmac.new(seed, bytes([index]), hashlib.sha512).digest()
        ids.append(block[: lengths[seed[1 + index] % len(lengths)]])
    return ids


def _account_key() -> str:
    """Rate-limit key for username-based login: the account *from this address*. A key across all
    addresses would let a stranger lock a person out (finding F6); an assertion cannot be guessed, so
    nothing is gained by counting one account's requests from everywhere together."""
    body = json_object()
    return f"account:{str(body.get('username') or '').strip().lower()[:32]}|{get_remote_address()}"


def _no_username() -> bool:
    body = json_object()
    return not body.get("username")


@bp.get("/login")
def page() -> ResponseReturnValue:
    return render_template("login.html", client=None, authorize=False, signing=False)


@bp.post("/login/options")
@limiter.limit(login_limit)
@limiter.limit(login_limit, key_func=_account_key, exempt_when=_no_username)
def options() -> Response:
    body = json_object()
    username = str(body.get("username") or "").strip().lower()
    allow, user_id = None, None
    if username:
        user = accounts.named(username)
        if user is not None and user.disabled_at is None:
            allow = [c.credential_id for c in user.active_credentials]
            user_id = user.id
        else:
            allow = decoy_credential_ids(username)      # same shape as a real answer: no enumeration
    cfg = settings()
    challenge = challenges.issue("login", session, user_id=user_id)
    return Response(webauthn.authentication_options(rp_id=cfg.rp_id, challenge=challenge, allow=allow),
                    mimetype="application/json")


@bp.post("/login/verify")
@limiter.limit(login_limit)
def verify() -> ResponseReturnValue:
    body = json_object()
    # A touch approves an authorization request only when it was made on that request's own page,
    # which names it; a sign-in at /login never approves a request planted earlier (finding F9).
    pending = pending_authorization.request_hash()
    if not pending or not isinstance(body.get("authorize_request"), str) or \
            not hmac.compare_digest(body["authorize_request"], pending):
        pending = None
    next_url = safe_next(body.get("next"), url_for("account.page"))
    user, cred = finish_assertion("login", session, body)
    started = pending_authorization.started()
    log_in(user, cred.id)                            # a fresh session: the pending request moves to the grant
    audit.record("login.succeeded", user=user, credential=cred.name)
    if pending:
        pending_authorization.grant(login_grants.record(user.id, cred.id, pending), started)
    db.session.commit()                              # the counter, the session, the audit event and the grant
    return jsonify(ok=True, redirect=next_url)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    log_out()
    return redirect(url_for("login.page"))
