"""Email identity mode: add an address, prove it through a single-use link sent by SMTP."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from idp.people import audit
from idp.platform import clock, mail
from idp.platform.config import settings
from idp.platform.secretfiles import sha256_hex
from idp.store.db import db
from idp.store.models import EmailVerification, User
from idp.web.extensions import limiter
from idp.web.sessions import current_user, login_required
from idp.web.step_up import fresh_touch_required

bp = Blueprint("email", __name__)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")


def held_by_another(address: str, user_id: int) -> bool:
    """Whether another account already holds ``address`` (compared in lower case)."""
    owner = User.query.filter_by(email_canonical=address.strip().lower()).first()
    return owner is not None and owner.id != user_id


def _wrong_account(row: EmailVerification):
    """The page for a link opened while signed in as someone else than the account that asked."""
    asker = db.session.get(User, row.user_id)
    return render_template("error.html", status=403, message=(
        f"This link confirms {row.email} for the account '{asker.username}', but you are signed in as "
        f"'{current_user().username}'. Sign out, sign in as '{asker.username}', and open the link again. "
        "If you did not ask for this, ignore the link.")), 403


def _taken(row: EmailVerification):
    """The page for an address that another account confirmed first (one address, one account)."""
    return render_template("error.html", status=409,
                           message=f"{row.email} is already the signing identity of another account."), 409


def _pending(token: str) -> EmailVerification | None:
    row = EmailVerification.query.filter_by(token_hash=sha256_hex(token)).first()
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        return None
    return row


@bp.post("/account/email")
@login_required
@fresh_touch_required
@limiter.limit("5 per hour", key_func=lambda: f"email:{current_user().id}")
def add():
    cfg = settings()
    if cfg.identity_mode != "email":
        abort(404)
    user = current_user()
    address = request.form.get("email", "").strip()
    if not EMAIL_RE.fullmatch(address) or len(address) > 254:
        flash("That does not look like an email address.")
        return redirect(url_for("account.page"))
    if held_by_another(address, user.id):
        flash("That address is already the signing identity of another account.")
        return redirect(url_for("account.page"))
    token = secrets.token_urlsafe(32)
    db.session.add(EmailVerification(token_hash=sha256_hex(token), user_id=user.id, email=address,
                                     expires_at=clock.now() + timedelta(seconds=cfg.email_link_lifetime)))
    db.session.commit()
    link = f"{cfg.issuer}/account/email/verify/{token}"
    try:
        mail.send(cfg, address, "Confirm your email address for Hallmark",
                  f"Someone (hopefully you, {user.username}) asked Hallmark to use this address as a signing "
                  f"identity.\n\nConfirm it within {cfg.email_link_lifetime // 60} minutes:\n{link}\n\n"
                  "If it was not you, ignore this message.")
    except mail.MailError as exc:
        db.session.rollback()
        flash(f"Could not send the confirmation: {exc}. Try again later.")
        return redirect(url_for("account.page"))
    audit.record("email.verification_sent", user=user, email=address)
    flash(f"We sent a confirmation link to {address}.")
    return redirect(url_for("account.page"))


@bp.get("/account/email/verify/<token>")
@login_required
def confirm_page(token: str):
    row = _pending(token)
    if row is None:
        return render_template("error.html", status=404, message="This confirmation link is invalid, expired or "
                                                                 "already used."), 404
    if row.user_id != current_user().id:
        return _wrong_account(row)
    return render_template("email_confirm.html", token=token, email=row.email, username=current_user().username)


@bp.post("/account/email/verify/<token>")
@login_required
def confirm(token: str):
    """Only the account that asked, signed in, confirms; an address another account holds is refused."""
    row = _pending(token)
    if row is not None and row.user_id != current_user().id:
        return _wrong_account(row)
    if row is not None and held_by_another(row.email, row.user_id):
        return _taken(row)
    now = clock.now()
    used = (EmailVerification.query.filter_by(token_hash=sha256_hex(token), used_at=None)
            .update({"used_at": now}, synchronize_session=False)) if row else 0
    if used != 1:
        db.session.rollback()
        return render_template("error.html", status=404, message="This confirmation link is invalid, expired or "
                                                                 "already used."), 404
    user = db.session.get(User, row.user_id)
    user.email, user.email_canonical, user.email_verified_at = row.email, row.email.strip().lower(), now
    try:
        db.session.commit()
    except IntegrityError:          # another account confirmed the same address at the same moment
        db.session.rollback()
        return _taken(row)
    audit.record("email.verified", user=user, email=row.email)
    flash(f"{row.email} is confirmed: your signing identity is now this address.")
    return redirect(url_for("account.page"))
