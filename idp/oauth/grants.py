"""The grants Hallmark issues tokens through: the authorization code grant (S256-only PKCE, atomic
single-use codes) and the device authorization grant (RFC 8628), on Authlib.

Deviations from stock Authlib, each for a reason in docs/design.md ("The token endpoint"):
- PKCE: S256 only, and required for public clients at /authorize;
- codes are consumed atomically, and a reused code revokes what its first use issued.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.requests import OAuth2Request
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant
from sqlalchemy import bindparam, insert, select, update

from idp.oauth.client_adapter import OAuthClient
from idp.oauth.subjects import Authorizer, RedeemedFrom, TokenSubject
from idp.people import audit
from idp.people.accounts import Account, enabled_account
from idp.platform import clock
from idp.platform.config import settings
from idp.platform.secretfiles import sha256_hex
from idp.store import inline_sweep
from idp.store.db import db, execute, table_of
from idp.store.models import AuthorizationCode, Credential, DeviceCode, IssuedToken, User
from idp.store.states import DeviceStatus


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]  # Authlib ships no type information
    """PKCE with S256 only; a challenge is required from public clients."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: grants.AuthorizationCodeGrant, redirect_uri: str | None) -> None:
        data = grant.request.payload.data
        method = data.get("code_challenge_method")
        if grant.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge") and method is not None and method != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256 is accepted")
        super().validate_code_challenge(grant, redirect_uri)


_REQUESTER: ContextVar[str] = ContextVar("device_requester", default="")   # this request's User-Agent

# The statements of the token hot path, built once (building one per request costs more than running it).
CODES = table_of(AuthorizationCode)
INSERT_CODE = insert(CODES)
CREDENTIALS = table_of(Credential)
# With the touched key's attestation result, for the ID token's ``amr``.
SELECT_CODE = (select(CODES, CREDENTIALS.c.hardware_attested)
               .outerjoin(CREDENTIALS, CREDENTIALS.c.id == CODES.c.credential_id)
               .where(CODES.c.code_hash == bindparam("hash")))
CONSUME_CODE = (update(CODES).where(CODES.c.id == bindparam("code_id"), CODES.c.used_at.is_(None))
                .values(used_at=bindparam("now")))


@dataclass(frozen=True)
class RedeemableCode(AuthorizationCodeMixin):  # type: ignore[misc]
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
    hardware_attested: bool | None = None

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
        """RFC 8176 methods that were verified: proof of possession of a key, and the person's presence
        at it; ``hwk`` only when the key's attestation proved a model that keeps its keys in hardware
        (idp/ceremony/attestation.py). Without attestation a software key looks like a hardware one
        (finding F12)."""
        return ["hwk", "pop", "user"] if self.hardware_attested else ["pop", "user"]


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant with atomic, single-use, short-lived codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def generate_authorization_code(self) -> str:
        """256 random bits from ``secrets`` (Authlib's default draws 48 characters one at a time)."""
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        authorizer: Authorizer = request.user
        challenge = data.get("code_challenge")
        now = clock.now()
        execute(INSERT_CODE, dict(
            code_hash=sha256_hex(code), client_id=request.client.get_client_id(), user_id=authorizer.id,
            credential_id=authorizer.credential_id,
            redirect_uri=self.redirect_uri, scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=challenge,
            code_challenge_method=(data.get("code_challenge_method") or "S256") if challenge else None,
            auth_time=authorizer.auth_time,
            created_at=now, expires_at=now + timedelta(seconds=settings().code_lifetime), used_at=None))
        db.session.commit()

    def query_authorization_code(self, code: str, client: OAuthClient) -> RedeemableCode | None:
        row = execute(SELECT_CODE, {"hash": sha256_hex(code)}).first()
        if row is None or row.client_id != client.get_client_id():
            return None
        redeemable = RedeemableCode(**row._mapping)
        if row.used_at is not None:
            revoke_tokens_of(redeemable)
            raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")
        if row.expires_at <= clock.now():
            raise InvalidGrantError("This code has expired; start the login again.")
        return redeemable

    def authenticate_user(self, authorization_code: RedeemableCode) -> TokenSubject | None:
        """The code's account; the code itself is consumed when the token is saved (``save_token``)."""
        account = enabled_account(authorization_code.user_id)
        if account is None:
            return None
        return TokenSubject.of(account, RedeemedFrom(
            client_id=authorization_code.client_id, credential_id=authorization_code.credential_id,
            auth_time=authorization_code.auth_time))

    def delete_authorization_code(self, authorization_code: RedeemableCode) -> None:
        """Kept (marked used) so that a second redemption is detected; purged once expired."""


class DeviceEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
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

    def create_endpoint_response(self, request: OAuth2Request) -> Any:
        """Note what the requesting program calls itself (shown on the approval page), for this request only."""
        _REQUESTER.set(str(request.headers.get("User-Agent", ""))[:160])
        return super().create_endpoint_response(request)

    def save_device_credential(self, client_id: str, scope: str | None, data: dict[str, Any]) -> None:
        now = clock.now()
        if inline_sweep.due("device codes"):        # anonymous requests make these: keep them bounded
            DeviceCode.query.filter(DeviceCode.expires_at < now).delete(synchronize_session=False)
        db.session.add(DeviceCode(device_code_hash=sha256_hex(data["device_code"]), user_code=data["user_code"],
                                  client_id=client_id, scope=scope or "", interval=data["interval"],
                                  requester=_REQUESTER.get(),
                                  created_at=now, expires_at=now + timedelta(seconds=data["expires_in"])))
        db.session.commit()


class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
    """RFC 8628 §3.4-3.5: polling with authorization_pending / slow_down / expired_token / access_denied."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def query_device_credential(self, device_code: str) -> DeviceCode | None:
        row: DeviceCode | None = DeviceCode.query.filter_by(device_code_hash=sha256_hex(device_code)).first()
        if row is not None and row.status == DeviceStatus.CONSUMED:
            raise InvalidGrantError("This device code was already used.")
        return row

    def query_user_grant(self, user_code: str) -> tuple[Account | None, bool] | None:
        row = DeviceCode.query.filter_by(user_code=user_code).first()
        if row is None or row.status == DeviceStatus.PENDING:
            return None
        account = enabled_account(row.user_id) if row.user_id is not None else None
        return account, row.status == DeviceStatus.APPROVED and account is not None   # disabled since: denied

    def should_slow_down(self, credential: DeviceCode) -> bool:
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

    def validate_device_credential(self, credential: DeviceCode) -> TokenSubject:
        account: Account = super().validate_device_credential(credential)
        consumed = (DeviceCode.query.filter_by(id=credential.id, status=DeviceStatus.APPROVED)
                    .update({"status": DeviceStatus.CONSUMED}, synchronize_session=False))
        db.session.commit()
        if consumed != 1:
            raise InvalidGrantError("This device code was already used.")
        approved_at = int(credential.approved_at.timestamp()) if credential.approved_at else None
        return TokenSubject.of(account, RedeemedFrom(
            client_id=credential.client_id, credential_id=credential.credential_id, auth_time=approved_at,
            grant="device_code"))


def revoke_tokens_of(code: RedeemableCode) -> None:
    """Revoke every token issued from ``code`` and record the reuse as a security event, committed at
    once: the request that found the reuse is refused, but the revocation must hold."""
    count = (IssuedToken.query.filter_by(code_id=code.id, revoked_at=None)
             .update({"revoked_at": clock.now()}, synchronize_session=False))
    user = db.session.get(User, code.user_id)
    audit.record("code.reused", user=user, actor=code.client_id, security=True,
                 client=code.client_id, revoked_tokens=count)
    db.session.commit()


def consume(code: RedeemableCode) -> None:
    """Mark ``code`` used, atomically; a second redemption (even a concurrent one) revokes the first's tokens."""
    if execute(CONSUME_CODE, {"code_id": code.id, "now": clock.now()}).rowcount != 1:
        db.session.rollback()
        revoke_tokens_of(code)
        raise InvalidGrantError("This code was already used; the tokens it issued are now revoked.")
