"""Database models: users, credentials, invitations, clients, codes, keys, challenges, audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from idp.platform import clock
from idp.store.db import Base, db
from idp.store.states import DeviceStatus, EnumText, KeyCustody, KeyState


def utcnow() -> datetime:
    """Current time from :mod:`idp.platform.clock` (frozen in tests)."""
    return clock.now()


if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _QueryModel

    class Model(Base, _QueryModel):
        """What ``db.Model`` is at run time: the declarative base plus Flask-SQLAlchemy's ``query``."""

        __abstract__ = True
else:
    Model = db.Model


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC; always hands back aware UTC datetimes (SQLite drops tzinfo)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class User(Model):
    """A person. Rows are never deleted, so a username (and its ``sub``) is never reused."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    webauthn_user_id: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True, nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The address in lower case: unique, so one address belongs to at most one account (finding F1).
    email_canonical: Mapped[str | None] = mapped_column(String(254), nullable=True, unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    credentials: Mapped[list[Credential]] = relationship(back_populates="user", order_by="Credential.id")

    def get_user_id(self) -> int:
        return self.id

    @property
    def active_credentials(self) -> list[Credential]:
        return [c for c in self.credentials if c.revoked_at is None]


class Credential(Model):
    """A WebAuthn credential (security key or passkey) registered to a user."""

    __tablename__ = "credentials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True, nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    aaguid: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    transports: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # What the attestation proved (idp/ceremony/attestation.py): the model's name in the FIDO metadata, or
    # None (not disclosed); and whether that model keeps its keys in hardware and this one cannot be copied.
    attested_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    hardware_attested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                    nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(back_populates="credentials")


class BrowserSession(Model):
    """A signed-in browser: the cookie holds a random token, this row its hash. A session ends when
    the row is revoked (logout, sign out everywhere, key revocation, recovery, disable) or at
    ``expires_at``, counted from the login and never extended."""

    __tablename__ = "browser_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(160), nullable=False, default="")


class RateCounter(Model):
    """A rate-limit window's hit count, shared by every worker and instance on this database."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(db.Float, nullable=False, index=True)


class Invite(Model):
    """A one-time enrollment link. Only the SHA-256 of the token is stored."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recover_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Challenge(Model):
    """A server-side WebAuthn challenge, bound to one browser session, used once."""

    __tablename__ = "challenges"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Client(Model):
    """A registered OAuth client. Confidential secrets are stored hashed."""

    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    redirect_uris: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    loopback_redirect_paths: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    allow_oob: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    require_fresh_touch: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AuthorizationCode(Model):
    """An authorization code; ``used_at`` is set atomically on first redemption."""

    __tablename__ = "authorization_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), nullable=True)
    redirect_uri: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    nonce: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    auth_time: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IssuedToken(Model):
    """Record of an issued token (by ``jti``), so a reused code can revoke what it issued."""

    __tablename__ = "issued_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("authorization_codes.id"), nullable=True, index=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SigningRecord(Model):
    """What a monitor needs about each token minted for the signing client, kept for months after the
    token row is purged: who, through which client and key touch, when. No token, no IP address —
    only a digest of the token's ``jti``, enough to tell a certificate made from it."""

    __tablename__ = "signing_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(512), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    grant: Mapped[str] = mapped_column(String(32), nullable=False)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), nullable=True)
    jti_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SigningKey(Model):
    """A token-signing key; the private half is an encrypted PKCS#8 PEM (``None`` once retired)."""

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    private_pem: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    custody: Mapped[KeyCustody] = mapped_column(EnumText(KeyCustody), nullable=False, default=KeyCustody.DATABASE,
                                                server_default="database")
    state: Mapped[KeyState] = mapped_column(EnumText(KeyState), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retire_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginGrant(Model):
    """A key touch made inside one authorization request; consumed once to issue one code."""

    __tablename__ = "login_grants"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEvent(Model):
    """Who did what, when. Never where: no IP addresses are stored."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    event: Mapped[str] = mapped_column(String(48), nullable=False)
    security: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


class DeviceCode(Model):
    """An RFC 8628 device authorization: pending → approved/denied → consumed (once)."""

    __tablename__ = "device_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[DeviceStatus] = mapped_column(EnumText(DeviceStatus), nullable=False, default=DeviceStatus.PENDING)
    interval: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the requesting program called itself (its User-Agent), shown on the approval page.
    requester: Mapped[str] = mapped_column(String(160), nullable=False, default="", server_default="")

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_user_code(self) -> str:
        return self.user_code

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class EmailVerification(Model):
    """A single-use link proving control of an email address (only the token's hash is stored)."""

    __tablename__ = "email_verifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MonitorCursor(Model):
    """How far the identity monitor has read one log: the verified checkpoint and the compact tree
    (one hash per complete subtree) of the entries read, so the next run reads only what is new."""

    __tablename__ = "monitor_cursors"
    log: Mapped[str] = mapped_column(String(16), primary_key=True)          # "ct" or "rekor"
    origin: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)              # entries read and matched
    frontier: Mapped[list[Any]] = mapped_column(JSON, nullable=False)       # base64 subtree hashes
    checkpoint: Mapped[str] = mapped_column(Text, nullable=False)           # the last verified note
    checkpoint_size: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MonitoredCertificate(Model):
    """A certificate for this issuer found in the CT log, and the signing login it matched (if any).
    The record and user ids are plain numbers: the monitor's history outlives purged records."""

    __tablename__ = "monitored_certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    serial: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    identity: Mapped[str] = mapped_column(String(512), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    signing_record_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MonitoredSignature(Model):
    """A Rekor entry signed with a certificate for this issuer: which artifact digest, and when."""

    __tablename__ = "monitored_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    serial: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    digest: Mapped[str] = mapped_column(String(80), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MonitorFinding(Model):
    """Something the monitor found, once (``key`` names it), with a severity and a sentence."""

    __tablename__ = "monitor_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    serial: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sentence: Mapped[str] = mapped_column(Text, nullable=False)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RetiredUsername(Model):
    """A username whose account was deleted: never given to anyone again, because it is the ``sub`` of
    every certificate ever issued to that person (docs/design.md, "The Fulcio contract")."""

    __tablename__ = "retired_usernames"
    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
