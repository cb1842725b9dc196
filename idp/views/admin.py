"""The web admin: people (search, invite, disable or enable with a reason, recovery links), pending
invitations, and the audit log (filtered, exported as JSON or CSV). Every change needs a fresh key touch
and is audited as the administrator's; the CLI calls the same services."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from idp.oauth import client_records, signing_keys
from idp.people import invites
from idp.people.accounts import AccountError, set_disabled
from idp.people.invites import enrollment_link
from idp.platform import clock
from idp.platform.config import settings
from idp.stack.layout import Layout, StackConfigError
from idp.stack.services import ready_urls
from idp.stack.status import health, log_sizes
from idp.store.models import AuditEvent, User
from idp.tufrepo import repository_for
from idp.web.admin_required import admin_required
from idp.web.sessions import signed_in_user
from idp.web.step_up import fresh_touch_required

bp = Blueprint("admin", __name__)
PAGE = 50


@bp.get("/admin")
@admin_required
def people() -> ResponseReturnValue:
    query = request.args.get("q", "").strip().lower()[:32]
    found = User.query
    if query:
        found = found.filter(User.username.contains(query, autoescape=True))
    return render_template("admin_people.html", people=found.order_by(User.username).limit(PAGE).all(),
                           q=query, pending=invites.pending())


@bp.post("/admin/invites")
@admin_required
@fresh_touch_required
def invite() -> ResponseReturnValue:
    """A one-time enrollment link, shown once (only its hash is stored)."""
    admin = request.form.get("admin") == "yes"
    token = invites.create(admin=admin, lifetime=settings().invite_lifetime, actor=signed_in_user().username)
    return render_template("admin_link.html", link=enrollment_link(settings().issuer, token),
                           what="an enrollment link for an administrator" if admin else "an enrollment link")


@bp.post("/admin/invites/<int:invite_id>/expire")
@admin_required
@fresh_touch_required
def expire_invite(invite_id: int) -> ResponseReturnValue:
    if not invites.expire(invite_id, actor=signed_in_user().username):
        abort(404)
    flash("That enrollment link no longer works.", "success")
    return redirect(url_for("admin.people"))


@bp.post("/admin/people/<username>/<any(disable, enable):action>")
@admin_required
@fresh_touch_required
def set_state(username: str, action: str) -> ResponseReturnValue:
    reason = request.form.get("reason", "").strip()[:200]
    if username == signed_in_user().username:
        flash("You cannot disable or enable your own account here: ask another administrator, or use "
              "'hallmark user disable' on the server.", "error")
        return redirect(url_for("admin.people", q=username))
    if not reason:
        flash("Give a reason: it is kept in the audit log and shown to the person.", "error")
        return redirect(url_for("admin.people", q=username))
    try:
        set_disabled(username, action == "disable", actor=signed_in_user().username, reason=reason)
    except AccountError as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(url_for("admin.people", q=username))
    flash(f"{username} is {'disabled' if action == 'disable' else 'enabled'}.", "success")
    return redirect(url_for("admin.people", q=username))


@bp.post("/admin/people/<username>/recovery")
@admin_required
@fresh_touch_required
def recovery(username: str) -> ResponseReturnValue:
    """A one-time recovery link for someone who lost every key (their old keys are revoked when it is used)."""
    user = User.query.filter_by(username=username).first()
    if user is None or user.disabled_at is not None:
        abort(404)
    token = invites.create(admin=False, lifetime=settings().invite_lifetime, recover_user_id=user.id,
                           actor=signed_in_user().username)
    return render_template("admin_link.html", link=enrollment_link(settings().issuer, token),
                           what=f"a recovery link for {username}")


def _events() -> list[AuditEvent]:
    found = AuditEvent.query
    person = request.args.get("person", "").strip()
    if person:
        user = User.query.filter_by(username=person).first()
        found = found.filter(AuditEvent.user_id == (user.id if user else -1))
    event = request.args.get("event", "").strip()
    if event:
        found = found.filter(AuditEvent.event == event)
    events: list[AuditEvent] = found.order_by(AuditEvent.id.desc()).limit(1000).all()
    return events


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (key names are typed by people)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(event: AuditEvent) -> dict[str, object]:
    return {"at": event.at.isoformat(), "event": event.event, "actor": event.actor, "user_id": event.user_id,
            "security": event.security, "details": event.details}


@bp.get("/admin/audit")
@admin_required
def audit_log() -> ResponseReturnValue:
    events = _events()
    export = request.args.get("format")
    if export == "json":
        return Response(json.dumps([_row(e) for e in events], indent=1), mimetype="application/json",
                        headers={"Content-Disposition": 'attachment; filename="hallmark-audit.json"'})
    if export == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["at", "event", "actor", "user_id", "security", "details"])
        for event in events:
            writer.writerow([_cell(v) for v in (event.at.isoformat(), event.event, event.actor, event.user_id,
                                                event.security, json.dumps(event.details, sort_keys=True))])
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="hallmark-audit.csv"'})
    return render_template("admin_audit.html", events=events[:PAGE], person=request.args.get("person", ""),
                           event=request.args.get("event", ""))


@bp.get("/admin/instance")
@admin_required
def instance() -> ResponseReturnValue:
    """OAuth clients, token-signing keys, and the instance's health: database, TUF metadata, the stack."""
    from idp.store.models import Client, SigningKey

    cfg = settings()
    expiries: dict[str, str] = {}
    repository = repository_for(cfg.instance_path)
    if repository.exists:
        expiries = {role: moment.strftime("%Y-%m-%d %H:%M UTC") for role, moment in repository.expiries().items()}
    stack_lines: list[str] = []
    layout = Layout(cfg.instance_path / "stack")
    if layout.config.exists():
        try:
            config = layout.load()
            stack_lines = health(config, ready_urls(config)) + log_sizes(layout, clock.now())
        except StackConfigError as exc:
            stack_lines = [f"the stack's configuration cannot be read: {exc}"]
    return render_template("admin_instance.html", clients=Client.query.order_by(Client.client_id).all(),
                           keys=SigningKey.query.order_by(SigningKey.id.desc()).limit(10).all(),
                           expiries=expiries, stack_lines=stack_lines)


@bp.post("/admin/clients/<client_id>/remove")
@admin_required
@fresh_touch_required
def remove_client(client_id: str) -> ResponseReturnValue:
    try:
        client_records.remove(client_id, actor=signed_in_user().username)
    except client_records.ClientRecordError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"The client '{client_id}' is removed.", "success")
    return redirect(url_for("admin.instance"))


@bp.post("/admin/keys/rotate")
@admin_required
@fresh_touch_required
def rotate_keys() -> ResponseReturnValue:
    key = signing_keys.rotate(settings(), actor=signed_in_user().username)
    flash(f"Tokens are now signed with {key.kid}; the old key stays published until its tokens expire.", "success")
    return redirect(url_for("admin.instance"))
