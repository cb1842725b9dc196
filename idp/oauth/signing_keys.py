"""Token-signing keys: create, store encrypted at rest, rotate, publish as JWKS.

Lifecycle: ``next`` (published, not yet signing) → ``active`` (signs) → ``retiring``
(published until every token it signed has expired) → ``retired`` (gone from JWKS,
private key deleted). A key is always published before it signs anything.

Private keys live in the database, PKCS#8-encrypted with ``HALLMARK_KEY_PASSPHRASE`` (or, when
unset, a passphrase generated 0600 into the instance folder), so that several instances sharing
one database and the same secrets all see every key.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from idp.people import audit
from idp.platform import clock, ttlcache
from idp.platform.config import Settings
from idp.platform.secretfiles import read_or_create
from idp.store.db import db
from idp.store.models import SigningKey
from idp.store.states import KeyCustody, KeyState

ALG = "ES256"
_private_cache: dict[str, ECKey] = {}


class SigningKeyError(RuntimeError):
    """A signing key cannot be loaded (missing file or wrong passphrase)."""


def passphrase(settings: Settings) -> bytes:
    """``HALLMARK_KEY_PASSPHRASE``, else the instance's generated one (created 0600 on first use)."""
    if settings.key_passphrase:
        return settings.key_passphrase.encode()
    return read_or_create(settings.instance_path / "key-passphrase", 32).encode()


def _encrypted_pem(settings: Settings, key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase(settings)))


def _load_private(settings: Settings, row: SigningKey) -> ECKey:
    if row.kid in _private_cache:
        return _private_cache[row.kid]
    if row.custody == KeyCustody.PKCS11:
        from idp.platform import hsm

        public = ECKey.import_key(row.public_jwk).public_key
        token_key = hsm.TokenPrivateKey(hsm.store_for(settings), row.kid, public)
        token_ec_key = hsm.TokenECKey.for_token(token_key, {"kid": row.kid, "alg": ALG, "use": "sig"})
        _private_cache[row.kid] = token_ec_key
        return token_ec_key
    if not row.private_pem:
        raise SigningKeyError(f"signing key {row.kid} has no private key stored (retired)")
    try:
        private = serialization.load_pem_private_key(row.private_pem, password=passphrase(settings))
    except (TypeError, ValueError) as exc:
        raise SigningKeyError(
            f"cannot decrypt signing key {row.kid}: set HALLMARK_KEY_PASSPHRASE to the passphrase it was "
            "created with (or restore the instance's key-passphrase file)"
        ) from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"signing key {row.kid} is not a P-256 key")
    key = ECKey.import_key(private, {"kid": row.kid, "alg": ALG, "use": "sig"})
    _private_cache[row.kid] = key
    return key


def _new_key(settings: Settings, state: KeyState) -> SigningKey:
    """A new key: inside the PKCS#11 token when one is configured, else encrypted in the database."""
    kid = secrets.token_urlsafe(12)
    if settings.pkcs11_module:
        from idp.platform import hsm

        public_key, private_pem, custody = hsm.store_for(settings).generate(kid), None, KeyCustody.PKCS11
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        public_key, private_pem, custody = private.public_key(), _encrypted_pem(settings, private), KeyCustody.DATABASE
    public = ECKey.import_key(public_key, {"kid": kid, "alg": ALG, "use": "sig"})
    row = SigningKey(kid=kid, public_jwk=public.as_dict(private=False), state=state, private_pem=private_pem,
                     custody=custody, activated_at=clock.now() if state == KeyState.ACTIVE else None)
    db.session.add(row)
    return row


def ensure_keys(settings: Settings) -> None:
    """Create the first active key and its published successor if there are none."""
    if SigningKey.query.filter_by(state=KeyState.ACTIVE).first() is None:
        _new_key(settings, KeyState.ACTIVE)
        _new_key(settings, KeyState.NEXT)
        db.session.commit()


def rotate(settings: Settings, *, actor: str | None = None) -> SigningKey:
    """Promote the published ``next`` key to active; the old key retires once its tokens expire.
    With ``actor``, audited in the same transaction."""
    now = clock.now()
    nxt = SigningKey.query.filter_by(state=KeyState.NEXT).first() or _new_key(settings, KeyState.NEXT)
    for old in SigningKey.query.filter_by(state=KeyState.ACTIVE).all():
        old.state = KeyState.RETIRING
        old.retire_after = now + timedelta(seconds=settings.token_lifetime + 60)
    nxt.state, nxt.activated_at = KeyState.ACTIVE, now
    _new_key(settings, KeyState.NEXT)
    if actor is not None:
        audit.record("keys.rotated", actor=actor, kid=nxt.kid)
    db.session.commit()
    forget_cached()
    expire_retired(settings)
    return nxt


def expire_retired(settings: Settings) -> list[str]:
    """Retire keys whose tokens have all expired: drop them from JWKS and delete the private key."""
    now = clock.now()
    gone = []
    for key in SigningKey.query.filter_by(state=KeyState.RETIRING).all():
        if key.retire_after is not None and key.retire_after <= now:
            key.state, key.private_pem = KeyState.RETIRED, None
            if key.custody == KeyCustody.PKCS11 and settings.pkcs11_module:
                from idp.platform import hsm

                hsm.store_for(settings).destroy(key.kid)
            gone.append(key.kid)
            _private_cache.pop(key.kid, None)
    if gone:
        db.session.commit()
        forget_cached()
    return gone


def _active_row() -> SigningKey:
    row: SigningKey | None = SigningKey.query.filter_by(state=KeyState.ACTIVE).order_by(SigningKey.id.desc()).first()
    if row is None:
        raise SigningKeyError("no active signing key: run 'hallmark keys rotate' or restart to create one")
    return row


def active_key(settings: Settings) -> ECKey:
    """The private key that signs tokens now.

    Which key is active is cached for a few seconds per app: safe, because a key is published
    (state ``next``) long before it becomes active and stays published while it retires.
    """
    return ttlcache.cached("active_key", None, lambda: _load_private(settings, _active_row()))


def forget_cached() -> None:
    """Drop this app's cached active key and JWKS (after a change made in this process)."""
    ttlcache.forget("active_key", "jwks")


def published_keys() -> list[SigningKey]:
    """Keys in JWKS: next, active, and retiring ones whose tokens may still be valid."""
    now = clock.now()
    published = (KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRING)
    rows: list[SigningKey] = SigningKey.query.filter(SigningKey.state.in_(published)).order_by(SigningKey.id).all()
    return [r for r in rows if r.state != KeyState.RETIRING or (r.retire_after and r.retire_after > now)]


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The public JWK Set."""
    return {"keys": [dict(k.public_jwk) for k in published_keys()]}
