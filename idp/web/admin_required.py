"""Pages for administrators only: anyone else gets a 403 with a sentence, whatever they send
(docs/security-checklist.md 48)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import abort
from flask.typing import ResponseReturnValue

from idp.platform.words import _
from idp.web.sessions import login_required, signed_in_user

P = ParamSpec("P")


def admin_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Signed in, and an administrator; otherwise 403 (the login page first when no one is signed in)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not signed_in_user().is_admin:
            abort(403, _("This page is for administrators."))
        return view(*args, **kwargs)

    return login_required(wrapped)
