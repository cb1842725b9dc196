"""What the tokens say: the ID token (ES256, ``aud`` a string, identity claims only) and the access
token, an ES256 JWT with the same identity claims (the Dex model sigstore relies on)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.requests import OAuth2Request
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.grants.code import OpenIDToken
from joserfc.jwk import KeySet

from idp.oauth import signing_keys
from idp.oauth.client_adapter import OAuthClient
from idp.oauth.subjects import TokenSubject
from idp.platform import clock
from idp.platform.config import settings
from idp.store.models import AuthorizationCode


def _signing_keyset() -> KeySet:
    return KeySet([signing_keys.active_key(settings())])


class IdTokenClaims:
    """ID token: ES256, ``aud`` a string, ``exp`` the configured lifetime, identity claims only."""

    def resolve_client_private_key(self, client: OAuthClient) -> KeySet:
        return _signing_keyset()

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return signing_keys.ALG

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        return {"alg": signing_keys.ALG, "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = clock.timestamp()
        return {"iss": settings().issuer, "aud": client.get_client_id(), "iat": now,
                "exp": now + settings().token_lifetime}

    def generate_user_info(self, user: TokenSubject, scope: str) -> dict[str, Any]:
        return user.claims


class OpenIDCodeExtension(IdTokenClaims, OpenIDCode):  # type: ignore[misc]  # Authlib ships no types
    """The ID token of the code grant (nonce optional, echoed and replay-checked when sent)."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return AuthorizationCode.query.filter_by(
            client_id=request.payload.client_id, nonce=nonce).first() is not None


class DeviceIdToken(IdTokenClaims, OpenIDToken):  # type: ignore[misc]
    """The ID token of the device grant."""


class AccessTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """ES256 JWT access tokens carrying the identity claims; ``jti`` and ``auth_time`` come from the
    :class:`TokenSubject` the grant made."""

    def get_jwks(self) -> KeySet:
        return _signing_keyset()

    def get_jti(self, client: OAuthClient, grant_type: str, user: TokenSubject, scope: str) -> str:
        return user.jti

    def get_extra_claims(self, client: OAuthClient, grant_type: str, user: TokenSubject,
                         scope: str) -> dict[str, Any]:
        return user.claims

    def get_auth_time(self, user: TokenSubject) -> int | None:
        return user.origin.auth_time
