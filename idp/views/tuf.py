"""Serves the TUF repository at ``/tuf/`` (the URL stock ``sigstore --instance`` takes)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from idp.platform.config import settings
from idp.tufrepo import repository_for

bp = Blueprint("tuf", __name__)
NAME_RE = re.compile(r"(timestamp\.json|[0-9]+\.(root|snapshot|targets)\.json|targets/[0-9a-f]{64}\.[A-Za-z0-9._-]+)")


@bp.get("/tuf/<path:name>")
def metadata(name: str) -> ResponseReturnValue:
    if not NAME_RE.fullmatch(name):
        abort(404)
    repository = repository_for(settings().instance_path)
    if not repository.exists:
        abort(404)
    if name == "timestamp.json":
        repository.refresh_online_roles()
    response = send_from_directory(repository.folder, name, max_age=0 if name == "timestamp.json" else 300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
