"""Verifying Hallmark's own tokens (userinfo and other protected endpoints)."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from idp.oauth import signing_keys as keys
from idp.platform import clock
from idp.platform.config import Settings
from idp.store.models import Client, IssuedToken

FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c", "crit")


class TokenError(ValueError):
    """The bearer token is not one Hallmark issued, or no longer valid."""


def verify_access_token(raw: str, settings: Settings) -> dict[str, Any]:
    """Return the claims of a valid, unrevoked access token; raise :class:`TokenError` otherwise."""
    published = KeySet([ECKey.import_key(k.public_jwk) for k in keys.published_keys()])
    try:
        token = jwt.decode(raw, published, algorithms=[keys.ALG])
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenError(f"token signature or format is invalid ({exc.__class__.__name__})") from exc
    header, claims = token.header, token.claims
    if any(name in header for name in FORBIDDEN_HEADERS):
        raise TokenError("token header carries key material or critical extensions")
    if header.get("typ") != "at+jwt":
        raise TokenError("not an access token")
    if claims.get("iss") != settings.issuer:
        raise TokenError("token issuer is not this server")
    now = clock.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or exp <= now:
        raise TokenError("token has expired")
    if not isinstance(iat, int) or iat > now + 5:
        raise TokenError("token is not yet valid")
    aud = claims.get("aud")
    client_id = claims.get("client_id")
    if aud != client_id or Client.query.filter_by(client_id=client_id).first() is None:
        raise TokenError("token audience is not a client of this server")
    record = IssuedToken.query.filter_by(jti=claims.get("jti")).first()
    if record is None or record.revoked_at is not None:
        raise TokenError("token has been revoked")
    return claims
