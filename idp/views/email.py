"""Email identity mode: the pages that add an address and confirm it (``idp.people.email_verification``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from idp.people import email_verification as verification
from idp.platform.config import settings
from idp.platform.words import _, _l
from idp.web.extensions import limiter
from idp.web.sessions import login_required, signed_in_user
from idp.web.step_up import fresh_touch_required

bp = Blueprint("email", __name__)
LINK_GONE = _l("This confirmation link is invalid, expired or already used.")


def _wrong_account(exc: verification.WrongAccount) -> tuple[str, int]:
    """The page for a link opened while signed in as someone else than the account that asked."""
    return render_template("error.html", status=403, message=_(
        "This link confirms %(email)s for the account '%(asker)s', but you are signed in as '%(you)s'. Sign out, "
        "sign in as '%(asker)s', and open the link again. If you did not ask for this, ignore the link.",
        email=exc.email, asker=exc.asker, you=signed_in_user().username)), 403


def _taken(address: str) -> tuple[str, int]:
    """The page for an address that another account confirmed first (one address, one account)."""
    return render_template("error.html", status=409,
                           message=_("%(address)s is already the signing identity of another account.",
                                     address=address)), 409


def _gone() -> tuple[str, int]:
    return render_template("error.html", status=404, message=LINK_GONE), 404


@bp.post("/account/email")
@login_required
@fresh_touch_required
@limiter.limit("5 per hour", key_func=lambda: f"email:{signed_in_user().id}")
def add() -> ResponseReturnValue:
    cfg = settings()
    if cfg.identity_mode != "email":
        abort(404)
    try:
        address = verification.send_link(cfg, signed_in_user(), request.form.get("email", ""))
    except verification.EmailRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("account.page"))
    flash(_("We sent a confirmation link to %(address)s.", address=address), "success")
    return redirect(url_for("account.page"))


@bp.get("/account/email/verify/<token>")
@login_required
def confirm_page(token: str) -> ResponseReturnValue:
    user = signed_in_user()
    try:
        row = verification.pending_for(user, token)
    except verification.LinkGone:
        return _gone()
    except verification.WrongAccount as exc:
        return _wrong_account(exc)
    return render_template("email_confirm.html", token=token, email=row.email, username=user.username)


@bp.post("/account/email/verify/<token>")
@login_required
def confirm(token: str) -> ResponseReturnValue:
    """Only the account that asked, signed in, confirms; an address another account holds is refused."""
    try:
        address = verification.confirm(signed_in_user(), token)
    except verification.LinkGone:
        return _gone()
    except verification.WrongAccount as exc:
        return _wrong_account(exc)
    except verification.AddressTaken as exc:
        return _taken(str(exc))
    flash(_("%(address)s is confirmed: your signing identity is now this address.", address=address), "success")
    return redirect(url_for("account.page"))
