"""The account page: keys (list, add, rename, revoke) and the user's own audit log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for

from .. import audit, clock
from ..aaguids import authenticator_name
from ..ceremonies import CeremonyError, begin_registration, finish_registration, key_name, new_credential
from ..extensions import db, limiter, login_limit, settings
from ..identity import subject_for
from ..models import Credential
from ..sessions import current_user, login_required

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
                           email_mode=settings().identity_mode == "email")


@bp.post("/account/keys/options")
@login_required
@limiter.limit(login_limit)
def add_key_options():
    user = current_user()
    options_json = begin_registration("add-key", username=user.username, user_handle=user.webauthn_user_id,
                                      exclude=[c.credential_id for c in user.credentials], uid=user.id)
    return Response(options_json, mimetype="application/json")


@bp.post("/account/keys/verify")
@login_required
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
def revoke_key(cred_id: int):
    user = current_user()
    cred = _own_credential(cred_id)
    last = len(user.active_credentials) == 1
    if last and request.form.get("confirm") != "yes":
        return render_template("confirm_revoke.html", credential=cred)
    cred.revoked_at = clock.now()
    db.session.commit()
    audit.record("credential.revoked", user=user, credential=cred.name, last_key=last)
    flash(f"Revoked '{cred.name}'." + (" You have no keys left and cannot sign in again without a new "
                                       "enrollment link from an administrator." if last else ""))
    return redirect(url_for("account.page"))
