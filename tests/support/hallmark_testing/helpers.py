"""Helpers that drive Hallmark through the Flask test client, as a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from hallmark_testing.softauthn import SoftAuthenticator
from idp.people import invites
from idp.platform.config import Settings

TEST_LIMITS = {"ratelimit_login": "1000 per minute", "ratelimit_token": "1000 per minute"}
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
AUTHORIZE_REQUEST_RE = re.compile(r'data-authorize-request="([^"]+)"')
# Client authentication as sigstore-python sends it: HTTP Basic with the id and an empty secret.
SIGSTORE_BASIC = {"Authorization": "Basic " + base64.b64encode(b"sigstore:").decode()}


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"      # Debian's softhsm2 (make system-deps)


def make_settings(tmp_path: Path, **overrides) -> Settings:
    """Test settings on a private instance folder, with rate limits out of the way."""
    values = {"issuer": "http://localhost", "instance_path": tmp_path / "instance", **TEST_LIMITS}
    values.update(overrides)
    return Settings.from_env(env={}, **values)


def unique_name(prefix: str) -> str:
    """A fresh username, for tests that share one server."""
    return f"{prefix}-{secrets.token_hex(3)}"


def page_text(response) -> str:
    """A response's body with HTML entities decoded (``&#39;`` is ``'``)."""
    import html

    return html.unescape(response.get_data(as_text=True))


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


def post_json(client, url: str, body: dict | None = None, **kwargs):
    headers = {"X-CSRFToken": csrf_token(client)}
    return client.post(url, json=body or {}, headers=headers, **kwargs)


def new_invite(app, admin: bool = False) -> str:
    with app.app_context():
        return invites.create(admin=admin, lifetime=86400)


def enroll(client, app, username: str, authenticator: SoftAuthenticator | None = None) -> SoftAuthenticator:
    """Enroll ``username`` through an invitation; the client ends up logged in."""
    auth = authenticator or SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": username})
    assert options.status_code == 200, options.get_json()
    answer = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options.get_json()),
                                                           "name": "Test key"})
    assert answer.status_code == 200, answer.get_json()
    return auth


def login(client, auth: SoftAuthenticator, username: str | None = None, authorize_request: str | None = None,
          **get_kwargs):
    """Run the login ceremony; returns the /login/verify response. ``authorize_request`` is what the
    login page of an authorization request names (see :func:`authorize_request_of`)."""
    options = post_json(client, "/login/options", {"username": username} if username else {})
    assert options.status_code == 200
    body = {"credential": auth.get(options.get_json(), **get_kwargs)}
    if authorize_request:
        body["authorize_request"] = authorize_request
    return post_json(client, "/login/verify", body)


def authorize_request_of(page) -> str:
    """The request id that an authorization request's login page hands its script."""
    match = AUTHORIZE_REQUEST_RE.search(page.get_data(as_text=True))
    assert match, "not the login page of an authorization request"
    return match.group(1)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(**overrides) -> dict:
    params = {"response_type": "code", "client_id": "sigstore", "scope": "openid email",
              "redirect_uri": "http://localhost:12345/auth/callback", "state": "st-1"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(params: dict | list) -> str:
    return "/authorize?" + urlencode(params)


def get_code(client, auth: SoftAuthenticator, params: dict) -> dict:
    """Authorize (touching the key when asked); returns the redirect's query parameters."""
    url = authorize_url(params)
    final = client.get(url)
    if final.status_code == 200:  # the login page: touch the key, then the same request again
        assert login(client, auth, authorize_request=authorize_request_of(final)).status_code == 200
        final = client.get(url)
    assert final.status_code == 302, final.get_data(as_text=True)[:500]
    return {k: v[0] for k, v in parse_qs(urlsplit(final.headers["Location"]).query).items()}


def sigstore_token(client, auth: SoftAuthenticator, **extra) -> tuple[dict, str]:
    """The full sigstore-style flow: returns (token response JSON, verifier)."""
    verifier, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256", **extra)
    result = get_code(client, auth, params)
    response = client.post("/token", data={"grant_type": "authorization_code", "code": result["code"],
                                           "redirect_uri": params["redirect_uri"], "code_verifier": verifier},
                           headers=SIGSTORE_BASIC)
    return response, verifier


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_jwt(header: dict, claims: dict, hmac_secret: bytes | None = None) -> str:
    """A hand-made JWT for attack tests: unsigned (``alg: none``) or HS256 with ``hmac_secret``."""
    import hmac
    import json

    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_secret is None:
        return signing_input + "."
    mac = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"
