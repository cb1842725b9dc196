"""The home page: what this instance is, how to get in, and how to sign and verify with it — the
commands carry this issuer's URL and the fingerprint of the TUF root to pin."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue

from idp.platform.config import settings
from idp.tufrepo import repository_for
from idp.tufrepo.repository import RepositoryError
from idp.web.sessions import signed_in

bp = Blueprint("home", __name__)


def root_fingerprint() -> tuple[int, str] | None:
    """(version, SHA-256) of the TUF root that ``hallmark tuf export-root`` hands out, if there is one."""
    repository = repository_for(settings().instance_path)
    try:
        version = repository.root_version()
    except RepositoryError:
        return None
    return version, hashlib.sha256((repository.folder / f"{version}.root.json").read_bytes()).hexdigest()


@bp.get("/")
def page() -> ResponseReturnValue:
    cfg = settings()
    example = {"uri": f"{cfg.subject_domain}/u/USERNAME", "username": f"USERNAME!{cfg.subject_domain}",
               "email": "your confirmed email address"}[str(cfg.identity_mode)]
    return render_template("home.html", issuer=cfg.issuer, identity_mode=str(cfg.identity_mode),
                           identity_example=example, root=root_fingerprint(), signed_in=signed_in() is not None)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The browser asks every page for it: a small SVG mark instead of a 404 in every log."""
    return send_from_directory(str(current_app.static_folder), "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
