"""Token-signing keys: create, store encrypted at rest, rotate, publish as JWKS.

Lifecycle: ``next`` (published, not yet signing) → ``active`` (signs) → ``retiring``
(published until every token it signed has expired) → ``retired`` (gone from JWKS,
private key deleted). A key is always published before it signs anything.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from . import clock
from .config import Settings
from .extensions import db
from .models import SigningKey

ALG = "ES256"
_private_cache: dict[str, ECKey] = {}


class SigningKeyError(RuntimeError):
    """A signing key cannot be loaded (missing file or wrong passphrase)."""


def _key_dir(settings: Settings) -> Path:
    return settings.instance_path / "signing-keys"


def _write_private(settings: Settings, kid: str, key: ec.EllipticCurvePrivateKey) -> None:
    encryption = (serialization.BestAvailableEncryption(settings.key_passphrase.encode())
                  if settings.key_passphrase else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    folder = _key_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def _load_private(settings: Settings, kid: str) -> ECKey:
    if kid in _private_cache:
        return _private_cache[kid]
    path = _key_dir(settings) / f"{kid}.pem"
    try:
        pem = path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningKeyError(f"signing key {kid} is missing from {path.parent}") from exc
    password = settings.key_passphrase.encode() if settings.key_passphrase else None
    try:
        private = serialization.load_pem_private_key(pem, password=password)
    except (TypeError, ValueError) as exc:
        raise SigningKeyError(
            f"cannot decrypt signing key {kid}: set HALLMARK_KEY_PASSPHRASE to the passphrase it was created with"
        ) from exc
    key = ECKey.import_key(private, {"kid": kid, "alg": ALG, "use": "sig"})
    _private_cache[kid] = key
    return key


def _new_key(settings: Settings, state: str) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    kid = secrets.token_urlsafe(12)
    _write_private(settings, kid, private)
    public = ECKey.import_key(private.public_key(), {"kid": kid, "alg": ALG, "use": "sig"})
    row = SigningKey(kid=kid, public_jwk=public.as_dict(private=False), state=state,
                     activated_at=clock.now() if state == "active" else None)
    db.session.add(row)
    return row


def ensure_keys(settings: Settings) -> None:
    """Create the first active key and its published successor if there are none."""
    if SigningKey.query.filter_by(state="active").first() is None:
        _new_key(settings, "active")
        _new_key(settings, "next")
        db.session.commit()


def rotate(settings: Settings) -> SigningKey:
    """Promote the published ``next`` key to active; the old key retires once its tokens expire."""
    now = clock.now()
    nxt = SigningKey.query.filter_by(state="next").first() or _new_key(settings, "next")
    for old in SigningKey.query.filter_by(state="active").all():
        old.state = "retiring"
        old.retire_after = now + timedelta(seconds=settings.token_lifetime + 60)
    nxt.state, nxt.activated_at = "active", now
    _new_key(settings, "next")
    db.session.commit()
    expire_retired(settings)
    return nxt


def expire_retired(settings: Settings) -> list[str]:
    """Retire keys whose tokens have all expired: drop them from JWKS and delete the private key."""
    now = clock.now()
    gone = []
    for key in SigningKey.query.filter_by(state="retiring").all():
        if key.retire_after is not None and key.retire_after <= now:
            key.state = "retired"
            gone.append(key.kid)
            (_key_dir(settings) / f"{key.kid}.pem").unlink(missing_ok=True)
            _private_cache.pop(key.kid, None)
    if gone:
        db.session.commit()
    return gone


def active_key(settings: Settings) -> ECKey:
    """The private key that signs tokens now."""
    row = SigningKey.query.filter_by(state="active").order_by(SigningKey.id.desc()).first()
    if row is None:
        raise SigningKeyError("no active signing key: run 'hallmark keys rotate' or restart to create one")
    return _load_private(settings, row.kid)


def published_keys() -> list[SigningKey]:
    """Keys in JWKS: next, active, and retiring ones whose tokens may still be valid."""
    now = clock.now()
    rows = SigningKey.query.filter(SigningKey.state.in_(("next", "active", "retiring"))).order_by(SigningKey.id).all()
    return [r for r in rows if r.state != "retiring" or (r.retire_after and r.retire_after > now)]


def jwks() -> dict:
    """The public JWK Set."""
    return {"keys": [dict(k.public_jwk) for k in published_keys()]}
