"""A fresh key touch before adding or revoking a key or changing the email (docs/security.md F2).

A copied session cookie must not be enough to take over an account: these actions need a touch of
one of the account's own keys, made in this session within :data:`~idp.web.sessions.FRESH_TOUCH`
seconds. A login counts as a touch. JSON requests get ``403 fresh_touch_required`` (the page script
asks for the touch and retries); a form gets a page that asks for the touch, then sends the same
form again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue

from idp.platform.words import _
from idp.web.sessions import signed_in

EXEMPT_FIELDS = ("csrf_token",)
P = ParamSpec("P")


def fresh_touch_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Refuse ``view`` until this session's last key touch is recent enough."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        state = signed_in()
        if state is not None and not state.touched_recently():
            if request.is_json:
                return jsonify(error="fresh_touch_required",
                               error_description=_("Touch one of your security keys to confirm this change.")), 403
            fields = [(k, v) for k, v in request.form.items(multi=True) if k not in EXEMPT_FIELDS]
            return render_template("step_up.html", action=request.path, fields=fields), 403
        return view(*args, **kwargs)

    return wrapped
