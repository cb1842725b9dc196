"""The language switcher: ``/language/de?next=/account`` remembers the choice and goes back, only to a path
on this site (docs/security-checklist.md 47)."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

from idp.web.i18n import COOKIE, LANGUAGES
from idp.web.safe_redirect import safe_next

bp = Blueprint("language", __name__)


@bp.get("/language/<code>")
def switch(code: str) -> Response:
    """Remember the reader's language for a year and return to the page they were on (this site only)."""
    response = redirect(safe_next(request.args.get("next"), "/"))
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
