"""Getting an identity token from Hallmark: given, browser (loopback + PKCE), or device flow (RFC 8628)."""

from __future__ import annotations

import json
import os
import sys
import time
import webbrowser
from typing import Any, TextIO

import requests
from joserfc import jws
from joserfc.errors import JoseError
from sigstore.errors import NetworkError
from sigstore.oidc import IdentityError, IdentityToken, Issuer, IssuerError

from idp.client import ClientError
from idp.client.network import unreachable
from idp.client.shown import shown

CLIENT_ID = "sigstore"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _claims(raw: str) -> dict[str, Any]:
    """The token's claims, read without verification (only to explain a refusal)."""
    try:
        claims = json.loads(jws.extract_compact(raw.encode()).payload)
    except (JoseError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _parse(raw: str, where: str) -> IdentityToken:
    claims = _claims(raw.strip())
    exp, audience = claims.get("exp"), claims.get("aud")
    if isinstance(exp, int) and exp <= time.time():
        raise ClientError(f"The identity token from {where} expired {int(time.time() - exp)} s ago. Log in again.")
    if audience is not None and audience != CLIENT_ID and not (isinstance(audience, list) and CLIENT_ID in audience):
        raise ClientError(f"The identity token from {where} is for audience {shown(audience)!s}, not "
                          f"'{CLIENT_ID}': it was issued to another service and Sigstore will not accept it.")
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
    except (NetworkError, requests.RequestException) as exc:
        raise unreachable(issuer_url, exc) from exc


def _json_object(reply: requests.Response, what: str) -> dict[str, Any]:
    """``reply``'s JSON object, or one sentence saying what was wrong with it (finding P9)."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ClientError(f"{what} answered something that is not a JSON object (HTTP {reply.status_code}).")
    return body


def _device_grant(body: dict[str, Any], issuer_url: str) -> tuple[str, str, str, str | None, int, float]:
    """The fields of a device authorization answer, checked (RFC 8628 §3.2)."""
    texts = [body.get(k) for k in ("device_code", "user_code", "verification_uri")]
    if not all(isinstance(t, str) and t and len(t) <= 2048 for t in texts):
        raise ClientError(f"{issuer_url} started a device login without a device code, user code and "
                          "verification URI.")
    interval, expires_in = body.get("interval", 5), body.get("expires_in", 600)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 60:
        raise ClientError(f"{issuer_url} asked for a polling interval of {interval!r} seconds; it must be 1-60.")
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or expires_in <= 0:
        raise ClientError(f"{issuer_url} gave the device code a lifetime of {expires_in!r}; it must be positive.")
    complete = body.get("verification_uri_complete")
    return (str(texts[0]), shown(texts[1]), shown(texts[2]), shown(complete) if isinstance(complete, str) else None,
            interval, float(expires_in))


def device_login(issuer_url: str, out: TextIO = sys.stderr, timeout: float = 600) -> IdentityToken:
    """RFC 8628: show a code and a URL, then poll until the person approves with their key."""
    discovery = f"{issuer_url}/.well-known/openid-configuration"
    try:
        reply = requests.get(discovery, timeout=10)
    except requests.RequestException as exc:
        raise unreachable(discovery, exc) from exc
    try:
        config = reply.json()
        endpoint, token_endpoint = config["device_authorization_endpoint"], config["token_endpoint"]
        if not isinstance(endpoint, str) or not isinstance(token_endpoint, str):
            raise TypeError("endpoints are not strings")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ClientError(f"{issuer_url} does not offer device login (no device_authorization_endpoint).") from exc
    try:
        start = requests.post(endpoint, data={"client_id": CLIENT_ID, "scope": "openid"}, timeout=10)
    except requests.RequestException as exc:
        raise unreachable(endpoint, exc) from exc
    if start.status_code != 200:
        raise ClientError(f"{issuer_url} refused to start a device login: {shown(start.text[:200])}")
    device_code, user_code, uri, complete, interval, expires_in = _device_grant(
        _json_object(start, f"{issuer_url}'s device endpoint"), issuer_url)
    print(f"To sign in, open {uri} and enter the code {user_code}", file=out)
    if complete:
        print(f"(or open {complete})", file=out, flush=True)
    deadline = time.monotonic() + min(timeout, expires_in)
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            reply = requests.post(token_endpoint, data={"grant_type": DEVICE_GRANT, "device_code": device_code,
                                                        "client_id": CLIENT_ID}, timeout=10)
        except requests.RequestException as exc:
            raise unreachable(token_endpoint, exc) from exc
        body = _json_object(reply, f"{issuer_url}'s token endpoint")
        error = body.get("error")
        if reply.status_code == 200 and isinstance(body.get("access_token"), str):
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
        raise ClientError(f"Device login failed: {shown(body.get('error_description') or error or reply.status_code)}")
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
