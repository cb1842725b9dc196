"""The Authlib authorization server: code grant, S256-only PKCE, client auth, JWT tokens.

Deviations from stock Authlib, each for a reason in DESIGN §7:
- client auth ``none`` also accepts HTTP Basic ``<id>:`` with an empty password (sigstore-python);
- PKCE: S256 only, and required for public clients at /authorize;
- codes are consumed atomically, and a reused code revokes what its first use issued;
- the access token is an ES256 JWT with the same identity claims as the ID token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE, DeviceAuthorizationEndpoint, DeviceCodeGrant
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.grants.code import OpenIDToken
from flask import g
from flask import request as flask_request
from joserfc.jwk import KeySet
from sqlalchemy import bindparam, insert, select, update

from . import audit, clock, inline_sweep, keys, ttlcache
from .accounts import enabled_account
from .clients import SIGSTORE_CLIENT_ID, redirect_allowed, secret_matches
from .config import Settings
from .extensions import db, run, settings
from .identity import identity_claims
from .models import AuthorizationCode, Client, Credential, DeviceCode, IssuedToken, SigningRecord, User
from .secretfiles import sha256_hex

SCOPES = ["openid", "email"]


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
        if grant_type == DEVICE_CODE_GRANT_TYPE:
            return self.is_public and self.row.allow_oob
        return grant_type == "authorization_code"


def _load_client(client_id: str) -> OAuthClient | None:
    row = Client.query.filter_by(client_id=client_id).first()
    if row is None:
        return None
    db.session.expunge(row)          # a read-only snapshot, shared by this process's requests
    return OAuthClient(row)


def query_client(client_id: str) -> OAuthClient | None:
    """The registered client, cached per process for a few seconds (Authlib asks several times)."""
    if not client_id:
        return None
    return ttlcache.cached("clients", client_id, lambda: _load_client(client_id), keep=lambda c: c is not None)


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


# The statements of the token hot path, built once (building one per request costs more than running it).
CODES = AuthorizationCode.__table__
INSERT_CODE = insert(CODES)
SELECT_CODE = select(CODES).where(CODES.c.code_hash == bindparam("hash"))
CONSUME_CODE = (update(CODES).where(CODES.c.id == bindparam("code_id"), CODES.c.used_at.is_(None))
                .values(used_at=bindparam("now")))
INSERT_TOKEN = insert(IssuedToken.__table__)
INSERT_SIGNING_RECORD = insert(SigningRecord.__table__)
CREDENTIAL_NAME = select(Credential.__table__.c.name).where(Credential.__table__.c.id == bindparam("cred_id"))


@dataclass(frozen=True)
class RedeemableCode(AuthorizationCodeMixin):
    """An authorization code row as Authlib's grant reads it (a plain value, no ORM state)."""

    id: int
    code_hash: str
    client_id: str
    user_id: int
    credential_id: int | None
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        """RFC 8176 methods that were verified: proof of possession of a key, and the person's
        presence at it. Not ``hwk``: attestation is ``none``, so a software authenticator looks the
        same as a hardware one (finding F12)."""
        return ["pop", "user"]


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code grant with atomic, single-use, short-lived codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def generate_authorization_code(self) -> str:
        """256 random bits from ``secrets`` (Authlib's default draws 48 characters one at a time)."""
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code, request):
        data = request.payload.data
        challenge = data.get("code_challenge")
        now = clock.now()
        run(INSERT_CODE, dict(
            code_hash=sha256_hex(code), client_id=request.client.get_client_id(), user_id=request.user.id,
            credential_id=getattr(g, "authorizing_credential_id", None),
            redirect_uri=self.redirect_uri, scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=challenge,
            code_challenge_method=(data.get("code_challenge_method") or "S256") if challenge else None,
            auth_time=getattr(g, "auth_time", clock.timestamp()),
            created_at=now, expires_at=now + timedelta(seconds=settings().code_lifetime), used_at=None))
        db.session.commit()

    def query_authorization_code(self, code, client):
        row = run(SELECT_CODE, {"hash": sha256_hex(code)}).first()
        if row is None or row.client_id != client.get_client_id():
            return None
        redeemable = RedeemableCode(**row._mapping)
        if row.used_at is not None:
            revoke_tokens_of(redeemable)
            raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")
        if row.expires_at <= clock.now():
            raise InvalidGrantError("This code has expired; start the login again.")
        return redeemable

    def authenticate_user(self, authorization_code):
        """The code's account; the code itself is consumed when the token is saved (:func:`save_token`)."""
        g.token_origin = TokenOrigin(client_id=authorization_code.client_id, code=authorization_code,
                                     credential_id=authorization_code.credential_id,
                                     auth_time=authorization_code.auth_time)
        return enabled_account(authorization_code.user_id)

    def delete_authorization_code(self, authorization_code):
        """Kept (marked used) so that a second redemption is detected; purged once expired."""


class DeviceEndpoint(DeviceAuthorizationEndpoint):
    """RFC 8628 §3.1-3.2: issues a device code and a user code (only the device code's hash is stored)."""

    CLIENT_AUTH_METHODS = ["none"]

    @property
    def EXPIRES_IN(self) -> int:  # noqa: N802 (Authlib's attribute name)
        return settings().device_code_lifetime

    @property
    def INTERVAL(self) -> int:  # noqa: N802
        return settings().device_poll_interval

    def get_verification_uri(self) -> str:
        return f"{settings().issuer}/device"

    def save_device_credential(self, client_id, scope, data):
        now = clock.now()
        if inline_sweep.due("device codes"):        # anonymous requests make these: keep them bounded
            DeviceCode.query.filter(DeviceCode.expires_at < now).delete(synchronize_session=False)
        db.session.add(DeviceCode(device_code_hash=sha256_hex(data["device_code"]), user_code=data["user_code"],
                                  client_id=client_id, scope=scope or "", interval=data["interval"],
                                  requester=flask_request.headers.get("User-Agent", "")[:160],
                                  created_at=now, expires_at=now + timedelta(seconds=data["expires_in"])))
        db.session.commit()


class DeviceGrant(DeviceCodeGrant):
    """RFC 8628 §3.4-3.5: polling with authorization_pending / slow_down / expired_token / access_denied."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def query_device_credential(self, device_code):
        row = DeviceCode.query.filter_by(device_code_hash=sha256_hex(device_code)).first()
        if row is not None and row.status == "consumed":
            raise InvalidGrantError("This device code was already used.")
        return row

    def query_user_grant(self, user_code):
        row = DeviceCode.query.filter_by(user_code=user_code).first()
        if row is None or row.status == "pending":
            return None
        account = enabled_account(row.user_id) if row.user_id is not None else None
        return account, row.status == "approved" and account is not None   # disabled since: denied

    def should_slow_down(self, credential):
        """RFC 8628 §3.5: polling faster than the interval answers ``slow_down``, and the interval
        grows by 5 seconds for every later request of this device code."""
        now = clock.now()
        last = credential.last_polled_at
        credential.last_polled_at = now
        slow = last is not None and (now - last).total_seconds() < credential.interval
        if slow:
            credential.interval += 5
        db.session.commit()
        return slow

    def validate_device_credential(self, credential):
        user = super().validate_device_credential(credential)
        consumed = (DeviceCode.query.filter_by(id=credential.id, status="approved")
                    .update({"status": "consumed"}, synchronize_session=False))
        db.session.commit()
        if consumed != 1:
            raise InvalidGrantError("This device code was already used.")
        approved_at = int(credential.approved_at.timestamp()) if credential.approved_at else None
        g.token_origin = TokenOrigin(client_id=credential.client_id, credential_id=credential.credential_id,
                                     auth_time=approved_at, grant="device_code")
        return user


def revoke_tokens_of(code: RedeemableCode) -> None:
    """Revoke every token issued from ``code`` and record the reuse as a security event."""
    count = (IssuedToken.query.filter_by(code_id=code.id, revoked_at=None)
             .update({"revoked_at": clock.now()}, synchronize_session=False))
    user = db.session.get(User, code.user_id)
    audit.record("code.reused", user=user, actor=code.client_id, security=True,
                 client=code.client_id, revoked_tokens=count)


def _signing_keyset() -> KeySet:
    return KeySet([keys.active_key(settings())])


class IdTokenClaims:
    """ID token: ES256, ``aud`` a string, ``exp`` the configured lifetime, identity claims only."""

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


class OpenIDCodeExtension(IdTokenClaims, OpenIDCode):
    """The ID token of the code grant (nonce optional, echoed and replay-checked when sent)."""

    def exists_nonce(self, nonce, request):
        return AuthorizationCode.query.filter_by(
            client_id=request.payload.client_id, nonce=nonce).first() is not None


class DeviceIdToken(IdTokenClaims, OpenIDToken):
    """The ID token of the device grant."""


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """ES256 JWT access tokens carrying the identity claims (the Dex model sigstore relies on)."""

    def get_jwks(self):
        return _signing_keyset()

    def get_jti(self, client, grant_type, user, scope):
        g.token_jti = secrets.token_urlsafe(16)
        return g.token_jti

    def get_extra_claims(self, client, grant_type, user, scope):
        return identity_claims(user, settings())

    def get_auth_time(self, user):
        origin = getattr(g, "token_origin", None)
        return origin.auth_time if origin is not None else None


@dataclass(frozen=True)
class TokenOrigin:
    """What a token is being issued from: an authorization code or a device authorization."""

    client_id: str
    credential_id: int | None
    auth_time: int | None
    code: RedeemableCode | None = None
    grant: str = "authorization_code"


def _consume(code: RedeemableCode) -> None:
    """Mark ``code`` used, atomically; a second redemption (even a concurrent one) revokes the first's tokens."""
    if run(CONSUME_CODE, {"code_id": code.id, "now": clock.now()}).rowcount != 1:
        db.session.rollback()
        revoke_tokens_of(code)
        raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")


def save_token(token: dict, request) -> None:
    """Consume the code, record the token by ``jti`` (for revocation on reuse) and audit it: one short
    write transaction. If the code was redeemed meanwhile, the token just made is never sent."""
    origin: TokenOrigin = g.token_origin
    cfg = settings()
    credential = (run(CREDENTIAL_NAME, {"cred_id": origin.credential_id}).scalar()
                  if origin.credential_id else None)
    if origin.code is not None:
        _consume(origin.code)
    now = clock.now()
    expires_at = now + timedelta(seconds=cfg.token_lifetime)
    run(INSERT_TOKEN, dict(
        jti=g.token_jti, code_id=origin.code.id if origin.code else None, client_id=origin.client_id,
        user_id=request.user.id, expires_at=expires_at, revoked_at=None))
    if origin.client_id == SIGSTORE_CLIENT_ID:      # a token Fulcio accepts: the monitor matches certificates to it
        run(INSERT_SIGNING_RECORD, dict(
            subject=identity_claims(request.user, cfg)["sub"], user_id=request.user.id, client_id=origin.client_id,
            grant=origin.grant, credential_id=origin.credential_id, jti_sha256=sha256_hex(g.token_jti),
            issued_at=now, expires_at=expires_at))
    audit.record("token.issued", user=request.user, client=origin.client_id, grant=origin.grant,
                 sub=identity_claims(request.user, cfg)["sub"], jti=g.token_jti,
                 credential=credential, commit=False)
    db.session.commit()


class Server(AuthorizationServer):
    """Authlib's Flask authorization server, with its request wrapper built around the request object
    itself instead of Flask's proxy to it (a token request reads it ~40 times, each a context lookup)."""

    def create_oauth2_request(self, request):
        return FlaskOAuth2Request(flask_request._get_current_object())


def create_server(app, cfg: Settings) -> Server:
    """Build the authorization server for ``app``."""
    server = Server(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = SCOPES
    server.register_client_auth_method("none", authenticate_public_client)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), OpenIDCodeExtension(require_nonce=False)])
    server.register_grant(DeviceGrant, [DeviceIdToken()])
    server.register_endpoint(DeviceEndpoint)
    generator = AccessTokenGenerator(issuer=cfg.issuer, alg=keys.ALG,
                                     expires_generator=lambda client, grant_type: cfg.token_lifetime)
    server.register_token_generator("default", generator)
    return server
