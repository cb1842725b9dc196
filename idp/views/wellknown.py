"""Discovery document and JWKS, built from settings and served with caching headers."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from idp.oauth import signing_keys as keys
from idp.oauth.client_adapter import SCOPES
from idp.platform import ttlcache
from idp.platform.config import settings

bp = Blueprint("wellknown", __name__)


def discovery_document(issuer: str) -> dict[str, Any]:
    """OpenID Provider metadata (docs/design.md, "The Fulcio contract")."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "device_authorization_endpoint": f"{issuer}/device/authorize",
        "grant_types_supported": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALG],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "jti"],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
        "prompt_values_supported": ["none", "login"],
        "hallmark_refresh_tokens_issued": False,
        "hallmark_tuf_url": f"{issuer}/tuf",
    }


def _public_json(body: bytes, max_age: int) -> Response:
    """A pre-encoded public JSON document with caching headers (no per-request serialisation)."""
    return Response(body, mimetype="application/json", headers={
        "Cache-Control": f"public, max-age={max_age}", "Access-Control-Allow-Origin": "*"})


@bp.get("/.well-known/openid-configuration")
def openid_configuration() -> ResponseReturnValue:
    issuer = settings().issuer
    return _public_json(ttlcache.cached("discovery", issuer, lambda: json.dumps(discovery_document(issuer)).encode(),
                                        seconds=float("inf")), 300)


@bp.get("/.well-known/jwks.json")
def jwks() -> ResponseReturnValue:
    """Served from memory, refreshed from the database every few seconds (rotations publish ahead)."""
    return _public_json(ttlcache.cached("jwks", None, lambda: json.dumps(keys.jwks()).encode()), 60)
