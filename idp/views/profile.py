"""The public identity page ``/u/<username>``: names the identity, nothing more."""

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from idp.people import accounts
from idp.people.identity import subject_for
from idp.platform.config import settings

bp = Blueprint("profile", __name__)


@bp.get("/u/<username>")
def identity(username: str) -> ResponseReturnValue:
    user = accounts.named(username)
    if user is None:
        abort(404)
    return render_template("profile.html", user=user,
                           subject=subject_for(user, settings()))
