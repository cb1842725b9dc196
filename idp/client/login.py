"""Getting an identity token from Hallmark: given, browser (loopback + PKCE), or device flow (RFC 8628)."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import webbrowser
from typing import TextIO

import requests
from sigstore.oidc import IdentityError, IdentityToken, Issuer, IssuerError

from . import ClientError

CLIENT_ID = "sigstore"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _expiry(raw: str) -> int | None:
    """The token's ``exp`` claim, read without verification (only to explain a refusal)."""
    try:
        payload = raw.split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return exp if isinstance(exp, int) else None


def _parse(raw: str, where: str) -> IdentityToken:
    exp = _expiry(raw.strip())
    if exp is not None and exp <= time.time():
        raise ClientError(f"The identity token from {where} expired {int(time.time() - exp)} s ago. Log in again.")
    try:
        token = IdentityToken(raw.strip())
    except IdentityError as exc:
        raise ClientError(f"The identity token from {where} is not usable: {exc}. Log in again.") from exc
    if not token.in_validity_period():
        raise ClientError(f"The identity token from {where} has expired. Log in again.")
    return token


def has_browser() -> bool:
    """A browser can be opened: ``$BROWSER`` is set, a display is, or the platform needs none."""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def browser_login(issuer_url: str) -> IdentityToken:
    """The loopback redirect + PKCE flow, through sigstore-python's own OAuth client."""
    try:
        return Issuer(issuer_url).identity_token()
    except (IdentityError, IssuerError) as exc:
        raise ClientError(f"Login at {issuer_url} failed: {exc}") from exc


def device_login(issuer_url: str, out: TextIO = sys.stderr, timeout: float = 600) -> IdentityToken:
    """RFC 8628: show a code and a URL, then poll until the person approves with their key."""
    try:
        config = requests.get(f"{issuer_url}/.well-known/openid-configuration", timeout=10).json()
        endpoint, token_endpoint = config["device_authorization_endpoint"], config["token_endpoint"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise ClientError(f"{issuer_url} does not offer device login (no device_authorization_endpoint).") from exc
    start = requests.post(endpoint, data={"client_id": CLIENT_ID, "scope": "openid"}, timeout=10)
    if start.status_code != 200:
        raise ClientError(f"{issuer_url} refused to start a device login: {start.text[:200]}")
    grant = start.json()
    print(f"To sign in, open {grant['verification_uri']} and enter the code {grant['user_code']}", file=out)
    print(f"(or open {grant['verification_uri_complete']})", file=out, flush=True)
    interval = int(grant.get("interval", 5))
    deadline = time.monotonic() + min(timeout, float(grant.get("expires_in", timeout)))
    while time.monotonic() < deadline:
        time.sleep(interval)
        reply = requests.post(token_endpoint, data={"grant_type": DEVICE_GRANT, "device_code": grant["device_code"],
                                                    "client_id": CLIENT_ID}, timeout=10)
        body = reply.json() if reply.headers.get("Content-Type", "").startswith("application/json") else {}
        error = body.get("error")
        if reply.status_code == 200 and "access_token" in body:
            return _parse(body["access_token"], issuer_url)
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        if error == "access_denied":
            raise ClientError("The login was denied in the browser.")
        if error == "expired_token":
            raise ClientError("The code expired before it was approved. Run the command again.")
        raise ClientError(f"Device login failed: {body.get('error_description') or error or reply.status_code}")
    raise ClientError("Timed out waiting for approval in the browser. Run the command again.")


def obtain_token(*, issuer_url: str | None, identity_token: str | None, device: bool) -> IdentityToken:
    """``--identity-token`` / ``SIGSTORE_IDENTITY_TOKEN`` first, then device or browser login."""
    given = identity_token or os.environ.get("SIGSTORE_IDENTITY_TOKEN")
    if given:
        return _parse(given, "--identity-token" if identity_token else "SIGSTORE_IDENTITY_TOKEN")
    if not issuer_url:
        raise ClientError("No identity provider known: the trust config lists no oidcUrls; pass --issuer URL.")
    if device or not has_browser():
        return device_login(issuer_url)
    return browser_login(issuer_url)
