"""Verifying bundles with sigstore-python's verifier and Hallmark's identity reading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sigstore.errors import VerificationError
from sigstore.hashes import HashAlgorithm, Hashed
from sigstore.verify import Verifier

from . import ClientError, UsageError
from .bundles import LoadedBundle
from .certificate import AnyIdentity, IdentityPolicy, identities, issuer
from .instance import Instance


@dataclass(frozen=True)
class Verified:
    """A bundle that verified: who signed, through which issuer, when."""

    loaded: LoadedBundle
    identities: frozenset[str]
    issuer: str | None

    def describe(self) -> str:
        when = self.loaded.integrated_time.strftime("%Y-%m-%d %H:%M:%S UTC") if self.loaded.integrated_time else "?"
        return f"signed by {', '.join(sorted(self.identities))} at {when} (log index {self.loaded.log_index})"


def parse_digest(text: str) -> Hashed:
    """``sha256:HEX`` → a prehashed input."""
    algorithm, _, hex_value = text.partition(":")
    try:
        digest = bytes.fromhex(hex_value)
    except ValueError:
        digest = b""
    if algorithm != "sha256" or len(digest) != 32:
        raise UsageError(f"--digest must look like sha256:<64 hex characters>, got {text!r}.")
    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)


def read_input(artifact: Path) -> bytes:
    try:
        return artifact.read_bytes()
    except OSError as exc:
        raise ClientError(f"{artifact}: cannot read the file ({exc.strerror}).") from exc


def verify(instance: Instance, input_: bytes | Hashed, loaded: LoadedBundle, *, identity: str | None,
           issuer_url: str | None) -> Verified:
    """Verify one bundle; with ``identity``/``issuer_url`` it must name them, else any identity passes."""
    policy = IdentityPolicy(identity=identity, issuer=issuer_url) if identity and issuer_url else AnyIdentity()
    verifier = Verifier(trusted_root=instance.trust_config.trusted_root)
    try:
        verifier.verify_artifact(input_, loaded.bundle, policy)
    except VerificationError as exc:
        raise ClientError(f"{loaded.path}: {exc}") from exc
    cert = loaded.bundle.signing_certificate
    return Verified(loaded, frozenset(identities(cert)), issuer(cert))
