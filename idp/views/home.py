"""The home page: what this instance is, how to get in, and how to sign and verify with it — the
commands carry this issuer's URL and the fingerprint of the TUF root to pin."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue

from idp.platform.config import settings
from idp.tufrepo import root_fingerprint
from idp.web.sessions import signed_in

bp = Blueprint("home", __name__)


@bp.get("/")
def page() -> ResponseReturnValue:
    cfg = settings()
    example = {"uri": f"{cfg.subject_domain}/u/USERNAME", "username": f"USERNAME!{cfg.subject_domain}",
               "email": "your confirmed email address"}[str(cfg.identity_mode)]
    return render_template("home.html", issuer=cfg.issuer, identity_mode=str(cfg.identity_mode),
                           identity_example=example, root=root_fingerprint(cfg.instance_path),
                           signed_in=signed_in() is not None)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The browser asks every page for it: a small SVG mark instead of a 404 in every log."""
    return send_from_directory(str(current_app.static_folder), "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
