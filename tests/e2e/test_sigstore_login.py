"""Acceptance: the stock sigstore-python login, untouched, through real Chromium with a security key."""

from __future__ import annotations

import queue
import threading
import webbrowser

from joserfc import jwt
from joserfc.jwk import KeySet
from sigstore.oidc import IdentityToken, Issuer

from hallmark_testing.helpers import new_invite


def _enroll(page, server, username: str) -> None:
    page.goto(f"{server.url}/enroll/{new_invite(server.app)}")
    page.fill("#username", username)
    page.click("#register")
    page.wait_for_url(f"{server.url}/account")


def run_stock_login(server, page, monkeypatch) -> IdentityToken:
    """Run ``Issuer(url).identity_token()`` in a thread; the browser it 'opens' is our Chromium page."""
    urls: queue.Queue[str] = queue.Queue()
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: urls.put(url) or True)
    result: dict = {}

    def login() -> None:
        try:
            result["token"] = Issuer(server.url).identity_token()
        except Exception as exc:  # surfaced in the main thread below
            result["error"] = exc

    thread = threading.Thread(target=login, daemon=True)
    thread.start()
    page.goto(urls.get(timeout=10))
    page.click("#login")
    thread.join(timeout=30)
    if "error" in result:
        raise result["error"]
    return result["token"]


def test_stock_sigstore_login_yields_a_valid_token(live_server, key_page, monkeypatch):
    page = key_page.page
    _enroll(page, live_server, "erin")
    token = run_stock_login(live_server, page, monkeypatch)

    assert token.identity == f"{live_server.url}/u/erin"
    assert token.issuer == live_server.url
    jwks = KeySet.import_key_set(page.request.get(f"{live_server.url}/.well-known/jwks.json").json())
    decoded = jwt.decode(str(token), jwks, algorithms=["ES256"])
    claims = decoded.claims
    assert decoded.header["kid"] in {k["kid"] for k in jwks.as_dict()["keys"]}
    assert claims["iss"] == live_server.url
    assert claims["aud"] == "sigstore"
    assert claims["sub"] == f"{live_server.url}/u/erin"
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert "email" not in claims


def test_every_signing_token_needs_a_fresh_touch(live_server, key_page, monkeypatch):
    """A logged-in session alone does not mint a second signing token: the page asks for the key again."""
    page = key_page.page
    _enroll(page, live_server, "frank")
    run_stock_login(live_server, page, monkeypatch)
    page.goto(f"{live_server.url}/authorize?response_type=code&client_id=sigstore&scope=openid"
              f"&redirect_uri=http://localhost:9/auth/callback&code_challenge={'a' * 43}"
              f"&code_challenge_method=S256&state=x")
    assert page.locator("#login").is_visible()
