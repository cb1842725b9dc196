"""The FIDO Metadata Service (MDS3) BLOB: read from a file the operator downloads, verified to the FIDO root
the operator names, and reloaded when the file changes. Never fetched over the network.

Verification uses the libraries: python-fido2 checks the certificate chain from the JWS header's ``x5c`` to
the root (``verify_x509_chain``), joserfc the JWS signature with the signer's key; this module adds the
chain's validity dates and the BLOB's ``nextUpdate``. The entries are parsed into python-fido2's
``MetadataBlobPayloadEntry`` only when a registration needs one: parsing all of a BLOB the size of the
FIDO Alliance's with python-fido2 takes seconds, and every worker would pay it at start (bench/attestation.py).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fido2.attestation.base import InvalidAttestation, verify_x509_chain
from fido2.mds3 import MetadataBlobPayloadEntry
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry

# The FIDO Alliance's BLOB is several megabytes, with a certificate chain in its header: joserfc's
# defaults (sized for tokens) would refuse it.
BLOB_SIZES = JWSRegistry(algorithms=["RS256", "PS256", "ES256"])
BLOB_SIZES.max_header_length = 64 * 1024
BLOB_SIZES.max_payload_length = 64 * 1024 * 1024
BLOB_SIZES.max_signature_length = 4096


class MetadataError(ValueError):
    """The BLOB cannot be used; the message says why and what to do."""


class Metadata:
    """A verified BLOB: its number, its ``nextUpdate``, and its entries by AAGUID and by attestation
    certificate key identifier, each parsed when first asked for."""

    def __init__(self, payload: dict[str, Any]):
        self.number = int(payload["no"])
        self.next_update = date.fromisoformat(payload["nextUpdate"])
        entries: list[dict[str, Any]] = list(payload["entries"])
        self.size = len(entries)
        self._by_aaguid = {str(e["aaguid"]).lower(): e for e in entries if e.get("aaguid")}
        self._by_key_id = {str(key_id).lower(): e for e in entries
                           for key_id in e.get("attestationCertificateKeyIdentifiers") or []}
        self._parse = lru_cache(maxsize=256)(self._parsed)

    def stale(self, today: date) -> bool:
        """The BLOB is past its ``nextUpdate``: its revocation news may be missing."""
        return today > self.next_update

    def _parsed(self, kind: str, key: str) -> MetadataBlobPayloadEntry | None:
        raw = (self._by_aaguid if kind == "aaguid" else self._by_key_id).get(key)
        return MetadataBlobPayloadEntry.from_dict(raw) if raw is not None else None

    def entry_by_aaguid(self, aaguid: str) -> MetadataBlobPayloadEntry | None:
        """The entry of the model ``aaguid`` (``xxxxxxxx-xxxx-…``), if the BLOB lists it."""
        found: MetadataBlobPayloadEntry | None = self._parse("aaguid", aaguid.lower())
        return found

    def entry_by_chain(self, chain: Sequence[bytes]) -> MetadataBlobPayloadEntry | None:
        """The entry naming one of ``chain``'s certificates by key identifier (U2F keys have no AAGUID)."""
        for der in chain:
            public_key = x509.load_der_x509_certificate(der).public_key()
            key_id = x509.SubjectKeyIdentifier.from_public_key(public_key).digest.hex()
            found: MetadataBlobPayloadEntry | None = self._parse("key_id", key_id)
            if found is not None:
                return found
        return None


def unreadable(blob_path: Path, exc: OSError) -> MetadataError:
    return MetadataError(f"cannot read the FIDO metadata BLOB {blob_path} (HALLMARK_MDS_BLOB): {exc.strerror}")


def _root_der(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MetadataError(f"cannot read the FIDO root certificate {path} (HALLMARK_MDS_ROOT): "
                            f"{exc.strerror}") from exc
    try:
        cert = (x509.load_pem_x509_certificate(raw) if b"-----BEGIN" in raw
                else x509.load_der_x509_certificate(raw))
    except ValueError as exc:
        raise MetadataError(f"{path} (HALLMARK_MDS_ROOT) is not a PEM or DER certificate") from exc
    return cert.public_bytes(Encoding.DER)


def _check_dates(chain: list[bytes], now: datetime) -> None:
    """Every certificate from the BLOB's signer up to the root must be valid ``now``."""
    for der in chain:
        cert = x509.load_der_x509_certificate(der)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise MetadataError(
                f"the certificate '{cert.subject.rfc4514_string()}' in the BLOB's signature chain is valid only "
                f"from {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}: "
                "download a current BLOB")


def _signer_key(der: bytes) -> RSAKey | ECKey:
    public_key = x509.load_der_x509_certificate(der).public_key()
    pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    if isinstance(public_key, rsa.RSAPublicKey):
        return RSAKey.import_key(pem)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECKey.import_key(pem)
    raise MetadataError("the BLOB's signing certificate holds neither an RSA nor an EC key")


def load(blob_path: Path, root_path: Path, now: datetime) -> Metadata:
    """Read and verify the BLOB at ``blob_path`` against the FIDO root at ``root_path``."""
    root = _root_der(root_path)
    try:
        blob = blob_path.read_bytes().strip()
    except OSError as exc:
        raise unreadable(blob_path, exc) from exc
    try:
        header = jws.extract_compact(blob, registry=BLOB_SIZES).headers()
        chain = [base64.b64decode(c) for c in header.get("x5c", [])] + [root]
        _check_dates(chain, now)
        verify_x509_chain(chain)                 # each certificate signed by the next, up to the root
        verified = jws.deserialize_compact(blob, _signer_key(chain[0]), registry=BLOB_SIZES)
        return Metadata(json.loads(verified.payload))
    except MetadataError:
        raise
    except (InvalidSignature, InvalidAttestation, BadSignatureError) as exc:     # the chain's or the JWS's
        raise MetadataError(f"the signature of {blob_path} does not verify under the root in HALLMARK_MDS_ROOT: "
                            "the file was altered, or it comes from another metadata service") from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise MetadataError(f"{blob_path} is not a FIDO metadata BLOB signed under the root in HALLMARK_MDS_ROOT "
                            f"({type(exc).__name__}): download it again from the FIDO Alliance, and check that "
                            "HALLMARK_MDS_ROOT is their root certificate") from exc


class MetadataFile:
    """The BLOB configured for this process, verified again whenever the file changes on disk."""

    def __init__(self, blob_path: Path, root_path: Path):
        self.blob_path, self.root_path = blob_path, root_path
        self._lock = threading.Lock()
        self._seen: tuple[float, int] | None = None
        self._current: Metadata | None = None

    def current(self, now: datetime) -> Metadata:
        """The verified BLOB; :class:`MetadataError` when the file is missing or does not verify."""
        try:
            stat = self.blob_path.stat()
        except OSError as exc:
            raise unreadable(self.blob_path, exc) from exc
        seen = (stat.st_mtime, stat.st_size)
        with self._lock:
            if self._current is None or seen != self._seen:
                self._current = None
                self._current = load(self.blob_path, self.root_path, now)
                self._seen = seen
            return self._current
