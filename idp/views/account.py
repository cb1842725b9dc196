"""The account page: keys (list, add, rename, revoke) and the user's own audit log."""

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
    url_for,
)

from idp.ceremony import challenges, webauthn
from idp.ceremony.aaguids import authenticator_name
from idp.ceremony.ceremonies import (
    CeremonyError,
    begin_registration,
    finish_assertion,
    finish_registration,
    key_name,
    new_credential,
)
from idp.people import audit
from idp.people.identity import subject_for
from idp.platform import clock
from idp.platform.config import settings
from idp.store.db import db
from idp.store.models import BrowserSession, Credential
from idp.web import sessions
from idp.web.extensions import limiter, login_limit
from idp.web.sessions import current_user, login_required, signed_in
from idp.web.step_up import fresh_touch_required

bp = Blueprint("account", __name__)


def _own_credential(cred_id: int) -> Credential:
    user = current_user()
    cred = db.session.get(Credential, cred_id)
    if cred is None or cred.user_id != user.id or cred.revoked_at is not None:
        abort(404)
    return cred


@bp.get("/account")
@login_required
def page():
    user = current_user()
    return render_template("account.html", user=user, credentials=user.active_credentials,
                           subject=subject_for(user, settings()),
                           events=audit.events_for(user), authenticator_name=authenticator_name,
                           email_mode=settings().identity_mode == "email",
                           browser_sessions=sessions.active_sessions(user.id), this_session=signed_in().id)


@bp.post("/account/touch/options")
@login_required
@limiter.limit(login_limit)
def touch_options():
    """Assertion options for a step-up touch: only this account's own keys are accepted."""
    user = current_user()
    challenge = challenges.issue("step-up", user_id=user.id)
    return Response(webauthn.authentication_options(rp_id=settings().rp_id, challenge=challenge,
                                                    allow=[c.credential_id for c in user.active_credentials]),
                    mimetype="application/json")


@bp.post("/account/touch/verify")
@login_required
@limiter.limit(login_limit)
def touch_verify():
    """Verify the step-up touch; the session's key touch is then fresh for five minutes."""
    user = current_user()
    try:
        touched_by, cred = finish_assertion("step-up")
    except CeremonyError as exc:
        return jsonify(error="touch_failed", error_description=str(exc)), exc.status
    if touched_by.id != user.id:
        return jsonify(error="touch_failed", error_description="That key belongs to another account."), 403
    sessions.mark_touched()
    audit.record("session.touched", user=user, credential=cred.name)
    return jsonify(ok=True)


@bp.post("/account/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int):
    """Sign out one of this account's browsers."""
    user = current_user()
    row = db.session.get(BrowserSession, session_id)
    if row is None or row.user_id != user.id:
        abort(404)
    sessions.revoke_one(row.id)
    audit.record("session.revoked", user=user, session=row.id)
    if row.id == signed_in().id:
        return redirect(url_for("login.page"))
    flash("That browser is signed out.")
    return redirect(url_for("account.page"))


@bp.post("/account/sessions/revoke-all")
@login_required
def revoke_all_sessions():
    """Sign out everywhere, this browser included."""
    user = current_user()
    count = sessions.revoke_all_of(user.id)
    audit.record("session.revoked_all", user=user, security=True, sessions=count)
    return redirect(url_for("login.page"))


@bp.post("/account/keys/options")
@login_required
@fresh_touch_required
@limiter.limit(login_limit)
def add_key_options():
    user = current_user()
    options_json = begin_registration("add-key", username=user.username, user_handle=user.webauthn_user_id,
                                      exclude=[c.credential_id for c in user.credentials], uid=user.id)
    return Response(options_json, mimetype="application/json")


@bp.post("/account/keys/verify")
@login_required
@fresh_touch_required
@limiter.limit(login_limit)
def add_key_verify():
    user = current_user()
    try:
        challenge, registered = finish_registration("add-key")
    except CeremonyError as exc:
        return jsonify(error="registration_failed", error_description=str(exc)), exc.status
    if challenge.data.get("uid") != user.id:
        return jsonify(error="registration_failed", error_description="This registration belongs to another session."), 400
    cred = new_credential(user, registered, key_name())
    db.session.commit()
    audit.record("credential.added", user=user, credential=cred.name)
    return jsonify(ok=True, redirect=url_for("account.page"))


@bp.post("/account/keys/<int:cred_id>/rename")
@login_required
def rename_key(cred_id: int):
    cred = _own_credential(cred_id)
    name = request.form.get("name", "").strip()[:64]
    if not name:
        flash("A key needs a name.")
        return redirect(url_for("account.page"))
    old, cred.name = cred.name, name
    db.session.commit()
    audit.record("credential.renamed", user=cred.user, old=old, new=name)
    flash(f"Renamed '{old}' to '{name}'.")
    return redirect(url_for("account.page"))


@bp.post("/account/keys/<int:cred_id>/revoke")
@login_required
@fresh_touch_required
def revoke_key(cred_id: int):
    user = current_user()
    cred = _own_credential(cred_id)
    last = len(user.active_credentials) == 1
    if last and request.form.get("confirm") != "yes":
        return render_template("confirm_revoke.html", credential=cred)
    this_browser = signed_in().credential_id == cred.id
    cred.revoked_at = clock.now()
    ended = sessions.revoke_made_with(cred.id)
    db.session.commit()
    audit.record("credential.revoked", user=user, credential=cred.name, last_key=last, sessions_ended=ended)
    message = f"Revoked '{cred.name}'."
    if last:
        message += (" You have no keys left and cannot sign in again without a new enrollment link from an "
                    "administrator.")
    elif this_browser:
        message += " This browser had signed in with it, so sign in again with another key."
    flash(message)
    return redirect(url_for("login.page" if this_browser else "account.page"))
