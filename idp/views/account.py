"""The account page: keys (list, add, rename, revoke), browser sessions, and the person's own audit log."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from idp.ceremony import challenges, credentials, webauthn
from idp.ceremony.ceremonies import CeremonyError, begin_registration, finish_assertion, finish_registration, key_name
from idp.monitor.history import signing_history
from idp.people import audit
from idp.people.account_deletion import delete_account
from idp.people.identity import subject_for
from idp.people.personal_data import personal_data
from idp.people.session_revocation import revoke_own
from idp.platform.config import settings
from idp.platform.words import _
from idp.store.db import db
from idp.tufrepo import root_fingerprint
from idp.web import sessions
from idp.web.extensions import limiter, login_limit
from idp.web.jsonbody import json_object
from idp.web.sessions import login_required, signed_in_user, this_session
from idp.web.step_up import fresh_touch_required

bp = Blueprint("account", __name__)


EVENTS_PER_PAGE = 25


@bp.get("/account")
@login_required
def page() -> str:
    user = signed_in_user()
    number = request.args.get("activity", "1")
    current = int(number) if number.isdigit() and 0 < int(number) < 10_000 else 1
    events = audit.events_for(user, limit=EVENTS_PER_PAGE + 1, offset=(current - 1) * EVENTS_PER_PAGE)
    return render_template("account.html", user=user, credentials=user.active_credentials,
                           subject=subject_for(user, settings()), events=events[:EVENTS_PER_PAGE],
                           activity_page=current, older=len(events) > EVENTS_PER_PAGE,
                           email_mode=settings().identity_mode == "email",
                           browser_sessions=sessions.active_sessions(user.id), this_session=this_session().id,
                           history=signing_history(user.id), issuer=settings().issuer,
                           root=root_fingerprint(settings().instance_path))


@bp.post("/account/data")
@login_required
@fresh_touch_required
def download_data() -> ResponseReturnValue:
    """Everything Hallmark holds about this person, as a JSON file (a fresh key touch first)."""
    user = signed_in_user()
    response = jsonify(personal_data(user))
    response.headers["Content-Disposition"] = f'attachment; filename="hallmark-{user.username}.json"'
    response.headers["Cache-Control"] = "no-store"
    audit.record("account.data_exported", user=user)
    db.session.commit()
    return response


@bp.post("/account/delete")
@login_required
@fresh_touch_required
def delete() -> ResponseReturnValue:
    """Delete this account, after the person typed its name on the confirmation page."""
    user = signed_in_user()
    if request.form.get("confirm_username") != user.username:
        return render_template("confirm_delete.html", username=user.username,
                               mistyped="confirm_username" in request.form)
    delete_account(user, actor=user.username)
    sessions.log_out()
    flash(_("Your account is deleted. Its username stays retired: no one else can sign as you."), "success")
    return redirect(url_for("home.page"))


@bp.get("/account/signing-history.json")
@login_required
def history_json() -> ResponseReturnValue:
    """The same signing history as the account page, for scripts."""
    response = jsonify(certificates=[item.as_json() for item in signing_history(signed_in_user().id)])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/touch/options")
@login_required
@limiter.limit(login_limit)
def touch_options() -> Response:
    """Assertion options for a step-up touch: only this account's own keys are accepted."""
    user = signed_in_user()
    challenge = challenges.issue("step-up", session, user_id=user.id)
    return Response(webauthn.authentication_options(rp_id=settings().rp_id, challenge=challenge,
                                                    allow=[c.credential_id for c in user.active_credentials]),
                    mimetype="application/json")


@bp.post("/account/touch/verify")
@login_required
@limiter.limit(login_limit)
def touch_verify() -> Response:
    """Verify the step-up touch; the session's key touch is then fresh for five minutes."""
    user = signed_in_user()
    touched_by, cred = finish_assertion("step-up", session, json_object(), error="touch_failed")
    if touched_by.id != user.id:
        raise CeremonyError(_("That key belongs to another account."), 403, "touch_failed")
    sessions.mark_touched()
    audit.record("session.touched", user=user, credential=cred.name)
    db.session.commit()
    return jsonify(ok=True)


@bp.post("/account/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int) -> ResponseReturnValue:
    """Sign out one of this account's browsers."""
    user = signed_in_user()
    if not revoke_own(user.id, session_id):
        abort(404)
    audit.record("session.revoked", user=user, session=session_id)
    db.session.commit()
    if session_id == this_session().id:
        return redirect(url_for("login.page"))
    flash(_("That browser is signed out."), "success")
    return redirect(url_for("account.page"))


@bp.post("/account/sessions/revoke-all")
@login_required
def revoke_all_sessions() -> ResponseReturnValue:
    """Sign out everywhere, this browser included."""
    user = signed_in_user()
    count = sessions.revoke_all_of(user.id)
    audit.record("session.revoked_all", user=user, security=True, sessions=count)
    db.session.commit()
    return redirect(url_for("login.page"))


@bp.post("/account/keys/options")
@login_required
@fresh_touch_required
@limiter.limit(login_limit)
def add_key_options() -> Response:
    user = signed_in_user()
    options_json = begin_registration("add-key", session, username=user.username, user_handle=user.webauthn_user_id,
                                      exclude=[c.credential_id for c in user.credentials], uid=user.id)
    return Response(options_json, mimetype="application/json")


@bp.post("/account/keys/verify")
@login_required
@fresh_touch_required
@limiter.limit(login_limit)
def add_key_verify() -> Response:
    user = signed_in_user()
    body = json_object()
    challenge, new_key = finish_registration("add-key", session, body)
    if challenge.data.get("uid") != user.id:
        raise CeremonyError(_("This registration belongs to another session."), 400, "registration_failed")
    credentials.add(user, new_key, key_name(body))
    return jsonify(ok=True, redirect=url_for("account.page"))


@bp.post("/account/keys/<int:cred_id>/rename")
@login_required
def rename_key(cred_id: int) -> ResponseReturnValue:
    try:
        old, new = credentials.rename(signed_in_user(), cred_id, request.form.get("name", ""))
    except credentials.NotYourKey:
        abort(404)
    except credentials.CredentialError as exc:
        flash(str(exc), "error")
        return redirect(url_for("account.page"))
    flash(_("Renamed '%(old)s' to '%(new)s'.", old=old, new=new), "success")
    return redirect(url_for("account.page"))


@bp.post("/account/keys/<int:cred_id>/revoke")
@login_required
@fresh_touch_required
def revoke_key(cred_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    try:
        cred = credentials.own(user, cred_id)
    except credentials.NotYourKey:
        abort(404)
    if request.form.get("confirm") != "yes":                  # every revocation is asked for, not only the last
        return render_template("confirm_revoke.html", credential=cred, last=len(user.active_credentials) == 1)
    this_browser = this_session().credential_id == cred.id
    revoked = credentials.revoke(user, cred_id)
    if revoked.last_key:
        message = _("Revoked '%(name)s'. You have no keys left and cannot sign in again without a new enrollment "
                    "link from an administrator.", name=revoked.name)
    elif this_browser:
        message = _("Revoked '%(name)s'. This browser had signed in with it, so sign in again with another key.",
                    name=revoked.name)
    else:
        message = _("Revoked '%(name)s'.", name=revoked.name)
    flash(message, "error" if revoked.last_key else "success")
    return redirect(url_for("login.page" if this_browser else "account.page"))
