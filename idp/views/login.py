"""Login with a security key: discoverable first, username + key as fallback."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, jsonify, redirect, render_template, session, url_for
from sqlalchemy import insert

from .. import audit, challenges, clock, webauthn
from ..ceremonies import CeremonyError, finish_assertion
from ..extensions import db, limiter, login_limit, run, settings
from ..identity import USERNAME_RE
from ..models import LoginGrant, User
from ..sessions import log_in
from ..jsonbody import json_object

bp = Blueprint("login", __name__)
INSERT_GRANT = insert(LoginGrant.__table__)    # built once: one per signing login


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("account.page")


def _account_key() -> str:
    """Rate-limit key for username-based login: the account, whatever the client's address."""
    body = json_object()
    return "account:" + str(body.get("username") or "").strip().lower()[:32]


def _no_username() -> bool:
    body = json_object()
    return not body.get("username")


@bp.get("/login")
def page():
    return render_template("login.html", client=None, authorize=False, signing=False)


@bp.post("/login/options")
@limiter.limit(login_limit)
@limiter.limit(login_limit, key_func=_account_key, exempt_when=_no_username)
def options() -> Response:
    body = json_object()
    username = str(body.get("username") or "").strip().lower()
    allow, user_id = None, None
    if username:
        user = User.query.filter_by(username=username).first() if USERNAME_RE.fullmatch(username) else None
        if user is not None and user.disabled_at is None:
            allow = [c.credential_id for c in user.active_credentials]
            user_id = user.id
        else:
            allow = [secrets.token_bytes(32)]  # same shape as a real answer: no account enumeration
    cfg = settings()
    challenge = challenges.issue("login", user_id=user_id)
    return Response(webauthn.authentication_options(rp_id=cfg.rp_id, challenge=challenge, allow=allow),
                    mimetype="application/json")


@bp.post("/login/verify")
@limiter.limit(login_limit)
def verify():
    pending = session.get("authorize_request")      # kept if this attempt fails, so a retry still approves
    next_url = safe_next(json_object().get("next"))
    try:
        user, cred = finish_assertion("login")
    except CeremonyError as exc:
        return jsonify(error="login_failed", error_description=str(exc)), exc.status
    log_in(user)                                     # a fresh session: the pending request moves to the grant
    audit.record("login.succeeded", user=user, credential=cred.name, commit=False)
    if pending:
        grant_id = secrets.token_urlsafe(32)
        run(INSERT_GRANT, {"id": grant_id, "user_id": user.id, "credential_id": cred.id,
                           "request_hash": pending, "created_at": clock.now(), "used_at": None})
        session["login_grant"] = grant_id
    db.session.commit()                              # the audit event and the grant together
    return jsonify(ok=True, redirect=next_url)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("login.page"))
