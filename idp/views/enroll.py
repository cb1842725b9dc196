"""Enrollment through a one-time invitation: choose a username, register a security key."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy.exc import IntegrityError

from idp.ceremony.ceremonies import (
    CeremonyError,
    begin_registration,
    finish_registration,
    key_name,
    new_credential,
)
from idp.people import audit, invites
from idp.people.identity import USERNAME_RE
from idp.platform import clock
from idp.store.db import db
from idp.store.models import User
from idp.web import sessions
from idp.web.extensions import limiter, login_limit
from idp.web.jsonbody import json_object
from idp.web.sessions import log_in

bp = Blueprint("enroll", __name__)


@bp.get("/enroll/<token>")
def page(token: str):
    invite = invites.find_usable(token)
    if invite is None:
        return render_template("error.html", status=404,
                               message="This enrollment link is invalid, expired or already used. "
                                       "Ask your administrator for a new one."), 404
    recovering = db.session.get(User, invite.recover_user_id) if invite.recover_user_id else None
    return render_template("enroll.html", token=token, admin=invite.is_admin, recovering=recovering)


@bp.post("/enroll/<token>/options")
@limiter.limit(login_limit)
def options(token: str):
    invite = invites.find_usable(token)
    if invite is None:
        return jsonify(error="invalid_invite", error_description="This enrollment link is no longer valid."), 404
    if invite.recover_user_id is not None:
        user = db.session.get(User, invite.recover_user_id)
        return Response(begin_registration("enroll", username=user.username, user_handle=user.webauthn_user_id,
                                           exclude=[], invite=invites.token_hash(token)),
                        mimetype="application/json")
    body = json_object()
    username = str(body.get("username") or "")
    if not USERNAME_RE.fullmatch(username):
        return jsonify(error="invalid_username",
                       error_description="Usernames are 3-32 characters: lowercase letters, digits and '-'."), 400
    if User.query.filter_by(username=username).first() is not None:
        return jsonify(error="username_taken", error_description=f"The username '{username}' is taken."), 409
    handle = secrets.token_bytes(32)
    options_json = begin_registration("enroll", username=username, user_handle=handle, exclude=[],
                                      invite=invites.token_hash(token))
    return Response(options_json, mimetype="application/json")


@bp.post("/enroll/<token>/verify")
@limiter.limit(login_limit)
def verify(token: str):
    try:
        challenge, registered = finish_registration("enroll")
    except CeremonyError as exc:
        return jsonify(error="registration_failed", error_description=str(exc)), exc.status
    if challenge.data.get("invite") != invites.token_hash(token):
        return jsonify(error="registration_failed", error_description="This registration belongs to another link."), 400
    username = challenge.data["username"]
    invite = invites.claim(token)
    if invite is None:
        return jsonify(error="invalid_invite", error_description="This enrollment link is no longer valid."), 404
    if invite.recover_user_id is not None:
        return _recover(invite, registered)
    user = User(username=username, webauthn_user_id=bytes.fromhex(challenge.data["user_handle"]),
                is_admin=invite.is_admin)
    db.session.add(user)
    cred = new_credential(user, registered, key_name())
    try:
        db.session.flush()
        invite.used_by = user.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return jsonify(error="username_taken", error_description=f"The username '{username}' is taken."), 409
    log_in(user, cred.id)
    audit.record("user.enrolled", user=user, admin=user.is_admin)
    return jsonify(ok=True, redirect="/account")


def _recover(invite, registered):
    """Add the new key to the account the recovery link names, and revoke every key it had."""
    user = db.session.get(User, invite.recover_user_id)
    revoked = [c.name for c in user.active_credentials]
    for cred in user.active_credentials:
        cred.revoked_at = clock.now()
    cred = new_credential(user, registered, key_name())
    invite.used_by = user.id
    ended = sessions.revoke_all_of(user.id)          # every browser signed in before the recovery
    db.session.flush()
    log_in(user, cred.id)
    audit.record("account.recovered", user=user, security=True, credential=cred.name, revoked=revoked,
                 sessions_ended=ended)
    return jsonify(ok=True, redirect="/account")
