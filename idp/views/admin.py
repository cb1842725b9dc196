"""The web admin: people (search, invite, disable or enable with a reason, recovery links), pending
invitations, and the audit log (filtered, exported as JSON or CSV). Every change needs a fresh key touch
and is audited as the administrator's; the CLI calls the same services."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date

from idp.ceremony.attestation import metadata_file
from idp.ceremony.metadata import MetadataError
from idp.oauth import client_records, signing_keys
from idp.people import invites
from idp.people.account_deletion import delete_account
from idp.people.accounts import AccountError, set_disabled
from idp.people.invites import enrollment_link
from idp.platform import clock
from idp.platform.config import Settings, settings
from idp.platform.words import _
from idp.stack.layout import Layout, StackConfigError
from idp.stack.services import ready_urls
from idp.stack.status import health, log_sizes
from idp.store.models import AuditEvent, User
from idp.tufrepo import repository_for
from idp.web.admin_required import admin_required
from idp.web.i18n import when
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
                           q=query, pending=invites.pending(), me=signed_in_user().username)


@bp.post("/admin/invites")
@admin_required
@fresh_touch_required
def invite() -> ResponseReturnValue:
    """A one-time enrollment link, shown once (only its hash is stored)."""
    admin = request.form.get("admin") == "yes"
    token = invites.create(admin=admin, lifetime=settings().invite_lifetime, actor=signed_in_user().username)
    return render_template("admin_link.html", link=enrollment_link(settings().issuer, token),
                           heading=_("Here is an enrollment link for an administrator") if admin
                           else _("Here is an enrollment link"))


@bp.post("/admin/invites/<int:invite_id>/expire")
@admin_required
@fresh_touch_required
def expire_invite(invite_id: int) -> ResponseReturnValue:
    if not invites.expire(invite_id, actor=signed_in_user().username):
        abort(404)
    flash(_("That enrollment link no longer works."), "success")
    return redirect(url_for("admin.people"))


@bp.post("/admin/people/<username>/<any(disable, enable):action>")
@admin_required
@fresh_touch_required
def set_state(username: str, action: str) -> ResponseReturnValue:
    reason = request.form.get("reason", "").strip()[:200]
    if username == signed_in_user().username:
        flash(_("You cannot disable or enable your own account here: ask another administrator, or use "
                "'hallmark user disable' on the server."), "error")
        return redirect(url_for("admin.people", q=username))
    if not reason:
        flash(_("Give a reason: it is kept in the audit log and shown to the person."), "error")
        return redirect(url_for("admin.people", q=username))
    try:
        set_disabled(username, action == "disable", actor=signed_in_user().username, reason=reason)
    except AccountError as exc:
        flash(_("Nothing changed: %(why)s.", why=str(exc)), "error")
        return redirect(url_for("admin.people", q=username))
    done = _("%(name)s is disabled.", name=username) if action == "disable" else _("%(name)s is enabled.",
                                                                                      name=username)
    flash(done, "success")
    return redirect(url_for("admin.people", q=username))


@bp.post("/admin/people/<username>/delete")
@admin_required
@fresh_touch_required
def delete_person(username: str) -> ResponseReturnValue:
    """Delete someone's account after the administrator typed its name; the audit keeps that it happened."""
    user = User.query.filter_by(username=username).first()
    if user is None:
        abort(404)
    if username == signed_in_user().username:
        flash(_("Delete your own account on your account page, not here."), "error")
        return redirect(url_for("admin.people", q=username))
    if request.form.get("confirm_username") != username:
        return render_template("admin_confirm_delete.html", username=username,
                               mistyped="confirm_username" in request.form)
    delete_account(user, actor=signed_in_user().username)
    flash(_("The account %(name)s is deleted; its username is retired.", name=username), "success")
    return redirect(url_for("admin.people"))


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
                           heading=_("Here is a recovery link for %(name)s", name=username))


def _day(name: str) -> date | None:
    """The ``YYYY-MM-DD`` query parameter ``name`` (None when absent or not a date)."""
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _events() -> list[AuditEvent]:
    """The events the filter names: a person, an event's machine name, and days (UTC, both ends included)."""
    found = AuditEvent.query
    since, until = _day("since"), _day("until")
    if since:
        found = found.filter(AuditEvent.at >= datetime.combine(since, time.min, UTC))
    if until:
        found = found.filter(AuditEvent.at < datetime.combine(until + timedelta(days=1), time.min, UTC))
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
    bad_days = [name for name in ("since", "until") if request.args.get(name) and _day(name) is None]
    return render_template("admin_audit.html", events=events[:PAGE], person=request.args.get("person", ""),
                           event=request.args.get("event", ""), since=request.args.get("since", ""),
                           until=request.args.get("until", ""), bad_days=bad_days)


@bp.get("/admin/instance")
@admin_required
def instance() -> ResponseReturnValue:
    """OAuth clients, token-signing keys, and the instance's health: database, TUF metadata, the stack."""
    from idp.store.models import Client, SigningKey

    cfg = settings()
    expiries: dict[str, str] = {}
    repository = repository_for(cfg.instance_path)
    if repository.exists:
        expiries = {role: when(moment) for role, moment in repository.expiries().items()}
    stack_lines: list[str] = []
    layout = Layout(cfg.instance_path / "stack")
    if layout.config.exists():
        try:
            config = layout.load()
            stack_lines = health(config, ready_urls(config)) + log_sizes(layout, clock.now())
        except StackConfigError as exc:
            stack_lines = [_("The stack's configuration cannot be read: %(why)s", why=str(exc))]
    return render_template("admin_instance.html", clients=Client.query.order_by(Client.client_id).all(),
                           keys=SigningKey.query.order_by(SigningKey.id.desc()).limit(10).all(),
                           expiries=expiries, stack_lines=stack_lines, attestation_line=_attestation_line(cfg))


def _attestation_line(cfg: Settings) -> str:
    """What the attestation policy can do right now (docs/attestation.md)."""
    source = metadata_file(cfg)
    if source is None:
        return _("Attestation: no FIDO metadata configured; any key may register and models are not disclosed.")
    now = clock.now()
    try:
        metadata = source.current(now)
    except MetadataError as exc:
        return _("Attestation: the FIDO metadata cannot be read, so new keys are refused: %(why)s", why=str(exc))
    if metadata.stale(now.date()):
        return _("Attestation: the FIDO metadata expired on %(date)s, so new keys are refused until it is "
                 "replaced.", date=format_date(metadata.next_update))
    return _("Attestation: FIDO metadata BLOB number %(number)s, current until %(date)s.",
             number=metadata.number, date=format_date(metadata.next_update))


@bp.post("/admin/clients")
@admin_required
@fresh_touch_required
def add_client() -> ResponseReturnValue:
    """Register an OAuth client with exact redirect URIs (one per line); a confidential client's secret is
    shown once."""
    form = request.form
    client_id = form.get("client_id", "").strip()
    uris = [line.strip() for line in form.get("redirect_uris", "").splitlines() if line.strip()]
    try:
        client, secret = client_records.register(
            client_id, form.get("name", "").strip()[:64] or client_id, uris, confidential=form.get("public") != "yes",
            fresh_touch=form.get("fresh_touch") == "yes", actor=signed_in_user().username)
    except client_records.ClientRecordError as exc:
        flash(_("Nothing changed: %(why)s.", why=str(exc)), "error")
        return redirect(url_for("admin.instance"))
    if secret is None:
        flash(_("The public client '%(client)s' is registered.", client=client.client_id), "success")
        return redirect(url_for("admin.instance"))
    return render_template("admin_secret.html", client_id=client.client_id, secret=secret)


@bp.post("/admin/clients/<client_id>/rotate")
@admin_required
@fresh_touch_required
def rotate_client_secret(client_id: str) -> ResponseReturnValue:
    """A new secret for a confidential client, shown once; the old one stops working at once."""
    try:
        secret = client_records.rotate_secret(client_id, actor=signed_in_user().username)
    except client_records.ClientRecordError as exc:
        flash(_("Nothing changed: %(why)s.", why=str(exc)), "error")
        return redirect(url_for("admin.instance"))
    return render_template("admin_secret.html", client_id=client_id, secret=secret)


@bp.post("/admin/clients/<client_id>/remove")
@admin_required
@fresh_touch_required
def remove_client(client_id: str) -> ResponseReturnValue:
    try:
        client_records.remove(client_id, actor=signed_in_user().username)
    except client_records.ClientRecordError as exc:
        flash(_("Nothing changed: %(why)s.", why=str(exc)), "error")
    else:
        flash(_("The client '%(client)s' is removed.", client=client_id), "success")
    return redirect(url_for("admin.instance"))


@bp.post("/admin/keys/rotate")
@admin_required
@fresh_touch_required
def rotate_keys() -> ResponseReturnValue:
    key = signing_keys.rotate(settings(), actor=signed_in_user().username)
    flash(_("Tokens are now signed with %(kid)s; the old key stays published until its tokens expire.", kid=key.kid),
          "success")
    return redirect(url_for("admin.instance"))
