"""TUF role keys: ECDSA P-256 PEM files (0600) named after the role and the key id."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from securesystemslib.signer import CryptoSigner, SSlibKey

from idp.platform.secretfiles import write_private


def generate(folder: Path, role: str) -> CryptoSigner:
    """A new key for ``role``, written to ``folder/<role>-<keyid>.pem``."""
    private = ec.generate_private_key(ec.SECP256R1())
    signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    write_private(folder / f"{role}-{signer.public_key.keyid}.pem", pem)
    return signer


def load(folder: Path, keyid: str) -> CryptoSigner | None:
    """The signer for ``keyid`` if its private key is in ``folder`` (offline keys are not)."""
    for path in folder.glob(f"*-{keyid}.pem"):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
        if signer.public_key.keyid == keyid:
            return signer
    return None
