"""Verifying bundles with sigstore-python's verifier and Hallmark's identity reading."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sigstore.errors import VerificationError
from sigstore.hashes import HashAlgorithm, Hashed
from sigstore.verify import Verifier

from idp.client import ClientError, UsageError
from idp.client.bundles import IN_TOTO, LoadedBundle, statement_subjects
from idp.client.certificate import AnyIdentity, IdentityPolicy, issuer, names
from idp.client.instance import Instance
from idp.client.names import Name
from idp.client.shown import shown


@dataclass(frozen=True)
class Verified:
    """A bundle that verified: who signed, through which issuer, with which key, when."""

    loaded: LoadedBundle
    names: frozenset[Name]
    issuer: str | None
    key_fingerprint: str
    predicate_type: str | None = None            # set for an attestation (DSSE bundle)

    @property
    def identities(self) -> frozenset[str]:
        return frozenset(name.value for name in self.names)

    def describe(self) -> str:
        moment = self.loaded.signed_time
        when = moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "?"
        who = ", ".join(shown(i) for i in sorted(self.identities)) or "no identity"
        what = f"attested ({shown(self.predicate_type)}) by" if self.predicate_type else "signed by"
        return f"{what} {who} at {when} (log index {self.loaded.log_index})"


def parse_digest(text: str) -> Hashed:
    """``sha256:HEX`` → a prehashed input."""
    algorithm, _, hex_value = text.partition(":")
    try:
        digest = bytes.fromhex(hex_value)
    except ValueError:
        digest = b""
    if algorithm != "sha256" or len(digest) != 32:
        raise UsageError(f"--digest must look like sha256:<64 hex characters>, got {shown(text)!r}.")
    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)


def explained(exc: VerificationError) -> str:
    """sigstore-python's refusal, in the words of someone holding the file."""
    text = shown(exc)
    if "digest mismatch" in text.lower():
        return "the file changed since it was signed (digest mismatch): this bundle is for other contents"
    return text


def read_input(artifact: Path) -> bytes:
    try:
        return artifact.read_bytes()
    except FileNotFoundError as exc:
        raise ClientError(f"{shown(artifact)}: no such file to verify.") from exc
    except OSError as exc:
        raise ClientError(f"{shown(artifact)}: cannot read the file ({exc.strerror}).") from exc


def verify(instance: Instance, input_: bytes | Hashed, loaded: LoadedBundle, *, identity: Name | None,
           issuer_url: str | None) -> Verified:
    """Verify one bundle; with ``identity``/``issuer_url`` it must name them, else any identity passes.
    A malformed bundle is refused with a reason, never a crash (finding P4)."""
    policy = IdentityPolicy(identity=identity, issuer=issuer_url) if identity and issuer_url else AnyIdentity()
    verifier = Verifier(trusted_root=instance.trust_config.trusted_root)
    predicate_type = None
    try:
        if loaded.is_attestation:
            predicate_type = verified_statement(verifier, input_, loaded, policy)
        else:
            verifier.verify_artifact(input_, loaded.bundle, policy)
        cert = loaded.bundle.signing_certificate
        who, where = frozenset(names(cert)), issuer(cert)
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    except ClientError:
        raise
    except VerificationError as exc:
        raise ClientError(f"{shown(loaded.path)}: {explained(exc)}") from exc
    except Exception as exc:  # sigstore-python lets some malformed inputs through as other exceptions
        raise ClientError(f"{shown(loaded.path)}: malformed bundle ({exc.__class__.__name__}: {shown(exc)})") from exc
    return Verified(loaded, who, where, hashlib.sha256(spki).hexdigest(), predicate_type)


def verified_statement(verifier: Verifier, input_: bytes | Hashed, loaded: LoadedBundle,
                       policy: IdentityPolicy | AnyIdentity) -> str:
    """Verify a DSSE bundle, then that its in-toto statement names this file's SHA-256 among its
    subjects (sigstore-python's ``verify_dsse`` checks the signature only). Returns the predicate type."""
    payload_type, payload = verifier.verify_dsse(loaded.bundle, policy)
    if payload_type != IN_TOTO:
        raise ClientError(f"{shown(loaded.path)}: the envelope carries {shown(payload_type)}, not an in-toto statement")
    try:
        statement = json.loads(payload)
        subjects = statement_subjects(statement)
    except ValueError as exc:
        raise ClientError(f"{shown(loaded.path)}: the signed statement is malformed ({shown(exc)})") from exc
    digest = input_.digest.hex() if isinstance(input_, Hashed) else hashlib.sha256(input_).hexdigest()
    if digest not in {sha for _, sha in subjects}:
        named = ", ".join(f"{shown(name) or '?'} (sha256:{sha[:12]}…)" for name, sha in subjects)
        raise ClientError(f"{shown(loaded.path)}: the attestation is about other contents: it names {named}, "
                          f"and this file is sha256:{digest[:12]}…")
    return str(statement.get("predicateType", ""))
