"""RFC 8628 device authorization: the endpoint a CLI calls, and the page where a person approves."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from idp.ceremony.ceremonies import CeremonyError, finish_assertion
from idp.oauth.client_records import SIGSTORE_CLIENT_ID
from idp.people import audit
from idp.people.identity import signing_identity_missing
from idp.platform import clock
from idp.platform.config import settings
from idp.store.db import db
from idp.store.models import Client, DeviceCode
from idp.store.states import DeviceStatus
from idp.views.oauth import described
from idp.web.extensions import csrf, limiter, login_limit, token_limit
from idp.web.jsonbody import json_object
from idp.web.sessions import log_in

bp = Blueprint("device", __name__)
USER_CODE_RE = re.compile(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}")


def normalise(user_code: str) -> str:
    """Accept ``bcdf ghjk``, ``BCDFGHJK`` or ``BCDF-GHJK``."""
    letters = re.sub(r"[^A-Za-z]", "", user_code or "").upper()
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def pending(user_code: str) -> DeviceCode | None:
    """The pending, unexpired device authorization for ``user_code``."""
    if not USER_CODE_RE.fullmatch(user_code):
        return None
    row = DeviceCode.query.filter_by(user_code=user_code, status=DeviceStatus.PENDING).first()
    return row if row is not None and row.expires_at > clock.now() else None


@bp.post("/device/authorize")
@csrf.exempt
@limiter.limit(token_limit)
def authorize():
    response = described(current_app.extensions["hallmark.oauth"].create_endpoint_response("device_authorization"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/device")
@limiter.limit(login_limit)
def page():
    raw = request.args.get("user_code")
    if raw is None:
        return render_template("device.html", row=None, user_code="", client=None)
    user_code = normalise(raw)
    row = pending(user_code)
    if row is None:
        return render_template("device.html", row=None, user_code=user_code, client=None,
                               error="That code is unknown, expired or already used. Check the code your "
                                     "terminal shows, or start again there."), 404
    client = Client.query.filter_by(client_id=row.client_id).first()
    # A code that arrived inside a link (verification_uri_complete) was not typed by the person: the
    # page asks them to confirm that their own terminal shows it before the key touch (finding F7).
    prefilled = request.args.get("typed") != "1"
    return render_template("device.html", row=row, user_code=user_code, client=client, prefilled=prefilled,
                           signing=row.client_id == SIGSTORE_CLIENT_ID,
                           minutes_ago=max(0, int((clock.now() - row.created_at).total_seconds() // 60)))


@bp.post("/device/approve")
@limiter.limit(login_limit)
def approve():
    body = json_object()
    user_code = normalise(str(body.get("user_code") or ""))
    row = pending(user_code)
    if row is None:
        return jsonify(error="invalid_user_code", error_description="That code is unknown, expired or already used."), 400
    if body.get("confirmed") is not True:
        return jsonify(error="confirmation_required",
                       error_description="Confirm that you started this request yourself and that your "
                                         "terminal shows this code."), 400
    try:
        user, cred = finish_assertion("login")
    except CeremonyError as exc:
        return jsonify(error="login_failed", error_description=str(exc)), exc.status
    missing = signing_identity_missing(user, settings())
    if missing and row.client_id == SIGSTORE_CLIENT_ID:
        return jsonify(error="access_denied", error_description=missing), 400
    approved = (DeviceCode.query.filter_by(id=row.id, status=DeviceStatus.PENDING)
                .update({"status": DeviceStatus.APPROVED, "user_id": user.id, "credential_id": cred.id,
                         "approved_at": clock.now()}, synchronize_session=False))
    db.session.commit()
    if approved != 1:
        return jsonify(error="invalid_user_code", error_description="That code was already used."), 400
    log_in(user, cred.id)
    audit.record("device.approved", user=user, client=row.client_id, credential=cred.name)
    return jsonify(ok=True, redirect=url_for("device.done"))


@bp.post("/device/deny")
def deny():
    user_code = normalise(request.form.get("user_code", ""))
    row = pending(user_code)
    if row is not None:
        DeviceCode.query.filter_by(id=row.id, status=DeviceStatus.PENDING).update({"status": DeviceStatus.DENIED},
                                                                       synchronize_session=False)
        db.session.commit()
        audit.record("device.denied", client=row.client_id)
    return redirect(url_for("device.done", denied=1))


@bp.get("/device/done")
def done():
    return render_template("device_done.html", denied=bool(request.args.get("denied")))
