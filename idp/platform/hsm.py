"""Token-signing keys inside a PKCS#11 token (an HSM, or SoftHSM2): they are generated there and never leave.

ES256 signing hashes with SHA-256 here and asks the token for a raw ECDSA signature (CKM_ECDSA),
which every token supports; joserfc then assembles the JWS as for any other key.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key
from joserfc.jwk import ECKey

from idp.platform.config import Settings

_stores: dict[tuple[str, str], Pkcs11Store] = {}
_lock = threading.Lock()


class HsmError(RuntimeError):
    """The token is unreachable, the PIN is wrong, or a key is missing."""


class Pkcs11Store:
    """One logged-in session on the configured token, shared by the process's threads."""

    def __init__(self, module: str, token_label: str, pin: str):
        import pkcs11

        try:
            self._token = pkcs11.lib(module).get_token(token_label=token_label)
            self._session = self._token.open(user_pin=pin, rw=True)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise HsmError(f"cannot open PKCS#11 token {token_label!r} with {module}: "
                           f"{exc.__class__.__name__}") from exc
        self._lock = threading.Lock()

    def generate(self, label: str) -> ec.EllipticCurvePublicKey:
        """A new P-256 key pair stored in the token; the private key is sensitive and not extractable."""
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

        with self._lock:
            params = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
            public, _ = params.generate_keypair(store=True, label=label, private_template={
                Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True})
            key = load_der_public_key(encode_ec_public_key(public))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise HsmError(f"the token made a {type(key).__name__}, not a P-256 key")
        return key

    def sign_digest(self, label: str, digest: bytes) -> bytes:
        """Raw r‖s ECDSA signature of ``digest`` by the token's key ``label``."""
        from pkcs11 import Mechanism, ObjectClass, PKCS11Error

        with self._lock:
            try:
                key = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
                return bytes(key.sign(digest, mechanism=Mechanism.ECDSA))  # type: ignore[attr-defined]
            except PKCS11Error as exc:
                raise HsmError(f"the token could not sign with key {label!r}: {exc.__class__.__name__}") from exc

    def protection(self, label: str) -> dict[str, bool]:
        """Whether the token keeps ``label``'s private key sensitive and non-extractable."""
        from pkcs11 import Attribute, ObjectClass

        with self._lock:
            key = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            return {"sensitive": bool(key[Attribute.SENSITIVE]), "extractable": bool(key[Attribute.EXTRACTABLE])}

    def destroy(self, label: str) -> None:
        """Delete both halves of ``label`` from the token."""
        from pkcs11 import Attribute, PKCS11Error

        with self._lock:
            for obj in list(self._session.get_objects({Attribute.LABEL: label})):
                with contextlib.suppress(PKCS11Error):
                    obj.destroy()


def store_for(settings: Settings) -> Pkcs11Store:
    """The process's store for the configured module/token (opened once)."""
    key = (settings.pkcs11_module, settings.pkcs11_token_label)
    with _lock:
        if key not in _stores:
            _stores[key] = Pkcs11Store(settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_pin)
        return _stores[key]


class TokenPrivateKey:
    """Quacks like a cryptography EC private key for signing; the work happens in the token."""

    curve = ec.SECP256R1()
    key_size = 256

    def __init__(self, store: Pkcs11Store, label: str, public: ec.EllipticCurvePublicKey):
        self._store, self._label, self._public = store, label, public

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes, signature_algorithm: ec.ECDSA) -> bytes:
        if not isinstance(signature_algorithm.algorithm, hashes.SHA256):
            raise HsmError("only ES256 (ECDSA with SHA-256) is supported")
        digest = hashes.Hash(hashes.SHA256())
        digest.update(data)
        raw = self._store.sign_digest(self._label, digest.finalize())
        return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


class TokenECKey(ECKey):
    """A joserfc ES256 key whose signing operation is delegated to the token."""

    token_key: TokenPrivateKey

    @classmethod
    def for_token(cls, token_key: TokenPrivateKey, parameters: dict[str, Any]) -> TokenECKey:
        key = cls.import_key(token_key.public_key(), parameters)  # type: ignore[arg-type]
        key.token_key = token_key
        return key

    def check_key_op(self, operation: str) -> None:
        if operation != "sign":
            super().check_key_op(operation)

    def get_op_key(self, operation: Any) -> Any:
        if operation == "sign":
            return self.token_key
        return super().get_op_key(operation)


def read_pin(path: str) -> str:
    """The PIN from ``HALLMARK_PKCS11_PIN_FILE``."""
    return Path(path).read_text().strip()
