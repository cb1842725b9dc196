"""Enrollment through a one-time invitation: choose a username, register a security key."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, session

from idp.ceremony import enrollment
from idp.ceremony.ceremonies import finish_registration, key_name
from idp.people import invites
from idp.platform.words import _
from idp.store.db import db
from idp.web.extensions import limiter, login_limit
from idp.web.jsonbody import json_object
from idp.web.sessions import log_in

bp = Blueprint("enroll", __name__)


@bp.get("/enroll/<token>")
def page(token: str) -> tuple[str, int] | str:
    invite = invites.find_usable(token)
    if invite is None:
        return render_template("error.html", status=404,
                               message=_("This enrollment link is invalid, expired or already used. "
                                         "Ask your administrator for a new one.")), 404
    return render_template("enroll.html", token=token, admin=invite.is_admin,
                           recovering=enrollment.recovering(invite))


@bp.post("/enroll/<token>/options")
@limiter.limit(login_limit)
def options(token: str) -> Response:
    return Response(enrollment.registration_options(token, session, json_object()), mimetype="application/json")


@bp.post("/enroll/<token>/verify")
@limiter.limit(login_limit)
def verify(token: str) -> Response:
    body = json_object()
    challenge, new_key = finish_registration("enroll", session, body)
    user, cred = enrollment.complete(token, challenge, new_key, key_name(body))
    log_in(user, cred.id)
    db.session.commit()             # the account (or recovery), its key, the invitation, the session, the audit
    return jsonify(ok=True, redirect="/account")
