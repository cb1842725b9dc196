"""Error pages and JSON errors: a clear sentence, never a stack trace."""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from flask import Flask, Request, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from idp.platform.refusal import Refused
from idp.platform.words import _, _l
from idp.store.db import db
from idp.web.sessions import MACHINE_PATHS

MESSAGES = {
    400: _l("The request was not understood."),
    404: _l("There is nothing here."),
    405: _l("This address does not accept that method."),
    413: _l("The request body is too large (64 KiB at most)."),
    429: _l("Too many attempts. Wait a moment and try again."),
}


def wants_json() -> bool:
    """Whether this request should get its error as JSON (API and machine endpoints, JSON clients)."""
    return request.is_json or request.path.startswith(("/api/", "/device/authorize", *MACHINE_PATHS)) or \
        request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, error: str = "error") -> tuple[Response | str, int]:
    """Render ``message`` as JSON or as an error page, with ``status``."""
    if wants_json():
        return jsonify(error=error, error_description=message), status
    return render_template("error.html", status=status, message=message), status


class BoundedJSONRequest(Request):
    """A request whose JSON body cannot crash the parser: nesting too deep for Python's recursion
    limit is refused with a 400 even where malformed bodies are otherwise ignored (finding F11)."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest("The JSON body is nested too deeply.") from None


def register(app: Flask) -> None:
    app.request_class = BoundedJSONRequest

    @app.errorhandler(InsecureTransportError)
    def insecure_transport(exc: InsecureTransportError) -> ResponseReturnValue:
        return error_response(400, _("OAuth requests must use https; plain http is only for localhost."),
                              "invalid_request")

    @app.errorhandler(OAuth2Error)
    def oauth_error(exc: OAuth2Error) -> ResponseReturnValue:
        return error_response(exc.status_code or 400, exc.get_error_description() or _("The request was refused."),
                              exc.error or "invalid_request")

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> ResponseReturnValue:
        """Refusals come from the JSON endpoints of the ceremonies: always a JSON answer."""
        db.session.commit()         # what was recorded about the refusal (a failed login's audit event)
        return jsonify(error=exc.error, error_description=str(exc)), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return error_response(400, _("Security check failed: %(why)s Reload the page and try again.",
                                     why=exc.description),
                              "invalid_request")

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.error("database unavailable: %s", exc.orig)
        response, status = error_response(503, _("The database is unavailable right now; nothing was changed. "
                                                 "Try again in a moment."), "temporarily_unavailable")
        return response, 503, {"Retry-After": "5"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        message = str(MESSAGES.get(exc.code or 500, exc.description or _("Error.")))
        response, status = error_response(exc.code or 500, message)
        headers = {}
        if exc.code == 429 and getattr(exc, "retry_after", None) is None:
            headers["Retry-After"] = "60"
        return response, status, headers

    @app.errorhandler(ConnectionResetError)
    def client_gone(exc: ConnectionResetError) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.warning("client connection lost while reading its request: %s", exc)
        return error_response(400, _("The request did not arrive in time."), "invalid_request")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unexpected error")
        return error_response(500, _("Something went wrong on our side; nothing was changed."), "server_error")
