"""RFC 8628 device authorization: the endpoint a CLI calls, and the page where a person approves."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from idp.ceremony.ceremonies import finish_assertion
from idp.oauth import client_records
from idp.oauth.client_records import SIGSTORE_CLIENT_ID
from idp.oauth.device_approval import approve as approve_request
from idp.oauth.device_approval import deny as deny_request
from idp.oauth.device_approval import normalise, pending
from idp.platform import clock
from idp.platform.words import _
from idp.store.db import db
from idp.views.oauth import described
from idp.web.extensions import csrf_exempt, limiter, login_limit, token_limit
from idp.web.jsonbody import json_object
from idp.web.sessions import log_in

bp = Blueprint("device", __name__)


@bp.post("/device/authorize")
@csrf_exempt
@limiter.limit(token_limit)
def authorize() -> Response:
    response = described(current_app.extensions["hallmark.oauth"].create_endpoint_response("device_authorization"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/device")
@limiter.limit(login_limit)
def page() -> ResponseReturnValue:
    raw = request.args.get("user_code")
    if raw is None:
        return render_template("device.html", row=None, user_code="", client=None)
    user_code = normalise(raw)
    row = pending(user_code)
    if row is None:
        return render_template("device.html", row=None, user_code=user_code, client=None,
                               error=_("That code is unknown, expired or already used. Check the code your "
                                       "terminal shows, or start again there.")), 404
    client = client_records.find(row.client_id)
    # A code that arrived inside a link (verification_uri_complete) was not typed by the person: the
    # page asks them to confirm that their own terminal shows it before the key touch (finding F7).
    prefilled = request.args.get("typed") != "1"
    return render_template("device.html", row=row, user_code=user_code, client=client, prefilled=prefilled,
                           signing=row.client_id == SIGSTORE_CLIENT_ID,
                           minutes_ago=max(0, int((clock.now() - row.created_at).total_seconds() // 60)))


@bp.post("/device/approve")
@limiter.limit(login_limit)
def approve() -> ResponseReturnValue:
    body = json_object()
    user_code = normalise(str(body.get("user_code") or ""))
    row = pending(user_code)
    if row is None:
        return jsonify(error="invalid_user_code",
                       error_description=_("That code is unknown, expired or already used.")), 400
    if body.get("confirmed") is not True:
        return jsonify(error="confirmation_required",
                       error_description=_("Confirm that you started this request yourself and that your "
                                           "terminal shows this code.")), 400
    user, cred = finish_assertion("login", session, body)
    approve_request(row, user, cred)
    log_in(user, cred.id)
    db.session.commit()                 # the approval, the browser session and the audit event together
    return jsonify(ok=True, redirect=url_for("device.done"))


@bp.post("/device/deny")
def deny() -> ResponseReturnValue:
    row = pending(normalise(request.form.get("user_code", "")))
    if row is not None:
        deny_request(row)
    return redirect(url_for("device.done", denied=1))


@bp.get("/device/done")
def done() -> str:
    return render_template("device_done.html", denied=bool(request.args.get("denied")))
