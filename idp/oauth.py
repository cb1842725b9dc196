"""The Authlib authorization server: code grant, S256-only PKCE, client auth, JWT tokens.

Deviations from stock Authlib, each for a reason in DESIGN §7:
- client auth ``none`` also accepts HTTP Basic ``<id>:`` with an empty password (sigstore-python);
- PKCE: S256 only, and required for public clients at /authorize;
- codes are consumed atomically, and a reused code revokes what its first use issued;
- the access token is an ES256 JWT with the same identity claims as the ID token.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode
from flask import current_app, g
from joserfc.jwk import KeySet

from . import audit, clock, keys
from .clients import redirect_allowed, secret_matches
from .config import Settings
from .extensions import db
from .identity import identity_claims
from .models import AuthorizationCode, Client, Credential, IssuedToken, User

SCOPES = ["openid", "email"]


def settings() -> Settings:
    return current_app.extensions["hallmark"]


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class OAuthClient(ClientMixin):
    """Adapter from the :class:`Client` row to Authlib's client interface."""

    def __init__(self, row: Client):
        self.row = row

    @property
    def is_public(self) -> bool:
        return not self.row.secret_hash

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        if len(uris) == 1 and not self.row.loopback_redirect_paths and not self.row.allow_oob:
            return uris[0]
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = (scope or "").split()
        return " ".join(s for s in SCOPES if s in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_allowed(self.row, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def query_client(client_id: str) -> OAuthClient | None:
    row = Client.query.filter_by(client_id=client_id).first() if client_id else None
    return OAuthClient(row) if row else None


def authenticate_public_client(query, request):
    """Client auth ``none``: body ``client_id``, or HTTP Basic ``<id>:`` with an *empty* password."""
    basic_id, basic_secret = extract_basic_authorization(request.headers)
    body_id = request.form.get("client_id")
    if basic_id is not None:
        if basic_secret:
            return None
        if body_id and body_id != basic_id:
            return None
        client_id = basic_id
    else:
        if request.form.get("client_secret"):
            return None
        client_id = body_id
    client = query(client_id) if client_id else None
    if client is not None and client.is_public:
        return client
    return None


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only; a challenge is required from public clients."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        method = data.get("code_challenge_method")
        if grant.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge") and method is not None and method != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256 is accepted")
        return super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code grant with atomic, single-use, short-lived codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        challenge = data.get("code_challenge")
        now = clock.now()
        row = AuthorizationCode(
            code_hash=code_hash(code), client_id=request.client.get_client_id(), user_id=request.user.id,
            credential_id=getattr(g, "authorizing_credential_id", None),
            redirect_uri=self.redirect_uri, scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=challenge, code_challenge_method=(data.get("code_challenge_method") or "S256") if challenge else None,
            auth_time=getattr(g, "auth_time", clock.timestamp()),
            created_at=now, expires_at=now + timedelta(seconds=settings().code_lifetime))
        db.session.add(row)
        db.session.commit()

    def query_authorization_code(self, code, client):
        row = AuthorizationCode.query.filter_by(code_hash=code_hash(code)).first()
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            revoke_tokens_of(row)
            raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")
        if row.expires_at <= clock.now():
            raise InvalidGrantError("This code has expired; start the login again.")
        return row

    def authenticate_user(self, authorization_code):
        consumed = (AuthorizationCode.query
                    .filter_by(id=authorization_code.id, used_at=None)
                    .update({"used_at": clock.now()}, synchronize_session=False))
        db.session.commit()
        if consumed != 1:
            revoke_tokens_of(authorization_code)
            raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")
        g.token_code = authorization_code
        user = db.session.get(User, authorization_code.user_id)
        return user if user is not None and user.disabled_at is None else None

    def delete_authorization_code(self, authorization_code):
        """Kept (marked used) so that a second redemption is detected; purged once expired."""


def revoke_tokens_of(code: AuthorizationCode) -> None:
    """Revoke every token issued from ``code`` and record the reuse as a security event."""
    count = (IssuedToken.query.filter_by(code_id=code.id, revoked_at=None)
             .update({"revoked_at": clock.now()}, synchronize_session=False))
    user = db.session.get(User, code.user_id)
    audit.record("code.reused", user=user, actor=code.client_id, security=True,
                 client=code.client_id, revoked_tokens=count)


def _signing_keyset() -> KeySet:
    return KeySet([keys.active_key(settings())])


class OpenIDCodeExtension(OpenIDCode):
    """ID token: ES256, ``aud`` a string, ``exp`` the configured lifetime, identity claims only."""

    def exists_nonce(self, nonce, request):
        return AuthorizationCode.query.filter_by(
            client_id=request.payload.client_id, nonce=nonce).first() is not None

    def resolve_client_private_key(self, client):
        return _signing_keyset()

    def get_client_algorithm(self, client):
        return keys.ALG

    def get_encode_header(self, client):
        return {"alg": keys.ALG, "typ": "JWT"}

    def get_client_claims(self, client):
        now = clock.timestamp()
        return {"iss": settings().issuer, "aud": client.get_client_id(), "iat": now,
                "exp": now + settings().token_lifetime}

    def generate_user_info(self, user, scope):
        return identity_claims(user, settings())


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """ES256 JWT access tokens carrying the identity claims (the Dex model sigstore relies on)."""

    def get_jwks(self):
        return _signing_keyset()

    def get_jti(self, client, grant_type, user, scope):
        g.token_jti = super().get_jti(client, grant_type, user, scope)
        return g.token_jti

    def get_extra_claims(self, client, grant_type, user, scope):
        return identity_claims(user, settings())

    def get_auth_time(self, user):
        code = getattr(g, "token_code", None)
        return code.auth_time if code is not None else None


def save_token(token: dict, request) -> None:
    """Record the issued token by ``jti`` (for revocation on code reuse) and audit it."""
    code: AuthorizationCode = g.token_code
    cfg = settings()
    db.session.add(IssuedToken(jti=g.token_jti, code_id=code.id, client_id=code.client_id,
                               user_id=request.user.id,
                               expires_at=clock.now() + timedelta(seconds=cfg.token_lifetime)))
    credential = db.session.get(Credential, code.credential_id) if code.credential_id else None
    audit.record("token.issued", user=request.user, client=code.client_id,
                 sub=identity_claims(request.user, cfg)["sub"], jti=g.token_jti,
                 credential=credential.name if credential else None)


def create_server(app, cfg: Settings) -> AuthorizationServer:
    """Build the authorization server for ``app``."""
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = SCOPES
    server.register_client_auth_method("none", authenticate_public_client)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), OpenIDCodeExtension(require_nonce=False)])
    generator = AccessTokenGenerator(issuer=cfg.issuer, alg=keys.ALG,
                                     expires_generator=lambda client, grant_type: cfg.token_lifetime)
    server.register_token_generator("default", generator)
    return server
