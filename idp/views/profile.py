"""The public identity page ``/u/<username>``: names the identity, nothing more."""

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from idp.people.identity import USERNAME_RE, subject_for
from idp.platform.config import settings
from idp.store.models import User

bp = Blueprint("profile", __name__)


@bp.get("/u/<username>")
def identity(username: str) -> ResponseReturnValue:
    user = User.query.filter_by(username=username).first() if USERNAME_RE.fullmatch(username) else None
    if user is None:
        abort(404)
    return render_template("profile.html", user=user,
                           subject=subject_for(user, settings()))
