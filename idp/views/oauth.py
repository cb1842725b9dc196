"""OAuth 2 / OIDC endpoints: /authorize, /token, /userinfo."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oidc.core.errors import (
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from idp.oauth import login_grants
from idp.oauth import token_verification as tokens
from idp.oauth.client_records import OOB_REDIRECT_URI, SIGSTORE_CLIENT_ID
from idp.oauth.server import Server
from idp.oauth.subjects import Authorizer
from idp.people.accounts import enabled_account
from idp.people.identity import signing_identity_missing
from idp.platform import clock
from idp.platform.config import settings
from idp.platform.words import _, _l
from idp.store.models import Client
from idp.web import pending_authorization
from idp.web.errors import error_response
from idp.web.extensions import csrf_exempt, limiter, token_limit
from idp.web.sessions import SignedIn, signed_in

bp = Blueprint("oauth", __name__)


def _server() -> Server:
    server: Server = current_app.extensions["hallmark.oauth"]
    return server


def request_hash() -> str:
    """Identifies this exact authorization request (its full query string)."""
    return hashlib.sha256(request.query_string).hexdigest()


def _duplicated(params: MultiDict[str, str]) -> list[str]:
    return sorted(k for k in params if len(params.getlist(k)) > 1)


def _with_iss(uri: str) -> str:
    sep = "&" if urlsplit(uri).query else "?"
    return f"{uri}{sep}{urlencode({'iss': settings().issuer})}"


def _error(exc: OAuth2Error) -> ResponseReturnValue:
    """Redirect with the error only to a validated redirect URI; otherwise render an error page."""
    if exc.redirect_uri and exc.redirect_uri != OOB_REDIRECT_URI:
        status, body, headers = exc()
        location = dict(headers).get("Location")
        if location:
            return redirect(_with_iss(location))
    description = PAGE_DESCRIPTIONS.get(exc.error) or exc.get_error_description() or exc.error
    return error_response(400, _("This sign-in request cannot continue: %(why)s", why=description), exc.error)


# Authlib's own wording for these reads badly on a page ("response_type=The response type 'None' is
# not supported by the server. is not supported"); these say what is wrong and what a client sends.
PAGE_DESCRIPTIONS = {
    "unsupported_response_type": _l("response_type must be code (the only flow this provider supports)."),
}


def _consume_login_grant() -> login_grants.UsedGrant | None:
    """Take the key touch made for this exact request in this session, once, while it is fresh."""
    grant_id = pending_authorization.take_grant()
    return login_grants.consume(grant_id, request_hash()) if grant_id else None


PROMPTS = {"none", "login", "consent", "select_account"}


def _request_problem(grant: AuthorizationCodeGrant) -> OAuth2Error | None:
    """OIDC Core §3.1.2.1 and §6: ``request``/``request_uri`` are not supported; ``prompt`` values
    must be known and ``none`` must stand alone; ``max_age`` is a non-negative integer."""
    args = request.args
    state = args.get("state")
    if "request" in args:
        return RequestNotSupportedError(redirect_uri=grant.redirect_uri, state=state)
    if "request_uri" in args:
        return RequestURINotSupportedError(redirect_uri=grant.redirect_uri, state=state)
    prompt = set(args.get("prompt", "").split())
    if prompt - PROMPTS or ("none" in prompt and len(prompt) > 1):
        return InvalidRequestError("prompt must be none alone, or any of login, consent, select_account",
                                   redirect_uri=grant.redirect_uri, state=state)
    max_age = args.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit() and len(max_age) <= 10):
        return InvalidRequestError("max_age must be a whole number of seconds",
                                   redirect_uri=grant.redirect_uri, state=state)
    return None


def _touch_needed(client: Client, signed: SignedIn | None) -> bool:
    """Whether this request needs a key touch of its own: no session, a client that always asks for
    one, ``prompt=login``/``consent``/``select_account``, or a login older than ``max_age``."""
    if signed is None or client.require_fresh_touch:
        return True
    if set(request.args.get("prompt", "").split()) & {"login", "consent", "select_account"}:
        return True
    max_age = request.args.get("max_age")
    return max_age is not None and clock.timestamp() - signed.auth_time >= int(max_age)


@bp.get("/authorize")
def authorize() -> ResponseReturnValue:
    duplicates = _duplicated(request.args)
    if duplicates:
        return error_response(400, _("This sign-in request repeats parameters: %(names)s.",
                                     names=", ".join(duplicates)), "invalid_request")
    signed = signed_in()
    user = signed.account if signed else None
    prompt = request.args.get("prompt", "").split()
    try:
        grant = _server().get_consent_grant(end_user=user)
        problem = _request_problem(grant)
        if problem is not None:
            raise problem
    except OAuth2Error as exc:
        return _error(exc)
    except ValueError:      # Authlib refuses to quote a value with '"' or '\\' in an error description
        return error_response(400, _("This sign-in request has a parameter with characters that are not "
                                     "allowed (such as a quote)."), "invalid_request")
    client: Client = grant.client.row
    if grant.redirect_uri == OOB_REDIRECT_URI and not settings().allow_oob:
        return error_response(400, _("This identity provider does not accept out-of-band sign-ins (codes "
                                     "shown on a page to be pasted elsewhere); use the loopback or device "
                                     "flow instead."), "unauthorized_client")
    needs_touch = _touch_needed(client, signed)
    credential_id = None
    auth_time = signed.auth_time if signed else 0
    if needs_touch:
        login_grant = _consume_login_grant()
        if login_grant is None:
            if "none" in prompt:
                return _error(LoginRequiredError(redirect_uri=grant.redirect_uri, state=request.args.get("state")))
            pending, started = pending_authorization.remember(request_hash())
            response = make_response(render_template(
                "login.html", client=client, authorize=True, signing=client.require_fresh_touch,
                authorize_request=pending, oob=grant.redirect_uri == OOB_REDIRECT_URI, started=started))
            response.headers["Cache-Control"] = "no-store"
            return response
        user = enabled_account(login_grant.user_id)
        if user is None:
            return error_response(403, _("This account is disabled."), "access_denied")
        credential_id = login_grant.credential_id
        auth_time = int(login_grant.created_at.timestamp())
    if user is None:        # no touch was needed only because a session holds: never the case here
        return error_response(403, _("Sign in first."), "login_required")
    missing = signing_identity_missing(user, settings()) if client.client_id == SIGSTORE_CLIENT_ID else None
    if missing:
        return error_response(400, missing, "access_denied")
    authorizer = Authorizer(account=user, auth_time=auth_time, credential_id=credential_id)
    authorized: Response = _server().create_authorization_response(grant=grant, grant_user=authorizer)
    location = authorized.headers.get("Location", "")
    if grant.redirect_uri == OOB_REDIRECT_URI:
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        shown_start = pending_authorization.take_started()
        response = make_response(render_template("oob.html", code=code, client=client, started=shown_start,
                                                 lifetime=settings().code_lifetime))
        response.headers["Cache-Control"] = "no-store"
        return response
    if location:
        authorized.headers["Location"] = _with_iss(location)
    return authorized


DESCRIPTIONS = {
    "unsupported_grant_type": "grant_type must be authorization_code or "
                              "urn:ietf:params:oauth:grant-type:device_code.",
    "invalid_client": "Client authentication failed.",
    "invalid_request": "The request is missing a parameter or has an invalid one.",
    "invalid_grant": "The code is invalid, expired or already used.",
    "invalid_scope": "The requested scope is not available.",
    "unauthorized_client": "This client may not use this grant.",
}


def described(response: Response) -> Response:
    """Every OAuth error answer carries an ``error_description`` a person can act on."""
    body = response.get_json(silent=True) if response.status_code >= 400 and response.is_json else None
    if isinstance(body, dict) and body.get("error") and not body.get("error_description"):
        body["error_description"] = DESCRIPTIONS.get(body["error"], "The request was refused.")
        response.set_data(json.dumps(body))
    return response


@bp.route("/token", methods=["POST"])
@csrf_exempt
@limiter.limit(token_limit)
def token() -> ResponseReturnValue:
    if request.query_string:
        response = jsonify(error="invalid_request",
                           error_description="Send token parameters in the POST body, not the query string.")
        response.status_code = 400
    elif _duplicated(request.form):
        response = jsonify(error="invalid_request",
                           error_description=f"Repeated parameters: {', '.join(_duplicated(request.form))}.")
        response.status_code = 400
    else:
        response = described(_server().create_token_response())
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf_exempt
def userinfo() -> ResponseReturnValue:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        return _unauthorized("invalid_request", "Send the access token as 'Authorization: Bearer <token>'.")
    try:
        claims = tokens.verify_access_token(raw.strip(), settings())
    except tokens.TokenError as exc:
        return _unauthorized("invalid_token", str(exc))
    return jsonify({"sub": claims["sub"]})


def _unauthorized(error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = 401
    safe = description.replace('"', "'")
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{safe}"'
    response.headers["Cache-Control"] = "no-store"
    return response
