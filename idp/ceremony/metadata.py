"""The FIDO Metadata Service (MDS3) BLOB: read from a file the operator downloads, verified to the FIDO root
the operator names, and reloaded when the file changes. Never fetched over the network.

python-fido2 parses the BLOB and checks its signature chain (``fido2.mds3.parse_blob``); this module adds
what it leaves to the caller: the chain's validity dates and the BLOB's ``nextUpdate``
(docs/attestation.md).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from fido2.attestation.base import InvalidAttestation
from fido2.mds3 import MetadataBlobPayload, parse_blob
from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry, extract_compact

# The FIDO Alliance's BLOB is several megabytes, with a certificate chain in its header: joserfc's
# defaults (sized for tokens) would refuse it.
BLOB_SIZES = JWSRegistry()
BLOB_SIZES.max_header_length = 64 * 1024
BLOB_SIZES.max_payload_length = 64 * 1024 * 1024
BLOB_SIZES.max_signature_length = 4096


class MetadataError(ValueError):
    """The BLOB cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Metadata:
    """A verified BLOB."""

    payload: MetadataBlobPayload
    path: Path

    @property
    def next_update(self) -> date:
        return self.payload.next_update

    def stale(self, today: date) -> bool:
        """The BLOB is past its ``nextUpdate``: its revocation news may be missing."""
        return today > self.payload.next_update


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


def load(blob_path: Path, root_path: Path, now: datetime) -> Metadata:
    """Read and verify the BLOB at ``blob_path`` against the FIDO root at ``root_path``."""
    root = _root_der(root_path)
    try:
        blob = blob_path.read_bytes().strip()
    except OSError as exc:
        raise MetadataError(f"cannot read the FIDO metadata BLOB {blob_path} (HALLMARK_MDS_BLOB): "
                            f"{exc.strerror}") from exc
    try:
        header = extract_compact(blob, registry=BLOB_SIZES).headers()
        chain = [base64.b64decode(c) for c in header.get("x5c", [])] + [root]
        _check_dates(chain, now)
        payload = parse_blob(blob, root)
    except MetadataError:
        raise
    except (InvalidSignature, InvalidAttestation) as exc:     # the blob's signature, or its chain's
        raise MetadataError(f"the signature of {blob_path} does not verify under the root in HALLMARK_MDS_ROOT: "
                            "the file was altered, or it comes from another metadata service") from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise MetadataError(f"{blob_path} is not a FIDO metadata BLOB signed under the root in HALLMARK_MDS_ROOT "
                            f"({type(exc).__name__}): download it again from the FIDO Alliance, and check that "
                            "HALLMARK_MDS_ROOT is their root certificate") from exc
    return Metadata(payload=payload, path=blob_path)


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
            raise MetadataError(f"cannot read the FIDO metadata BLOB {self.blob_path} (HALLMARK_MDS_BLOB): "
                                f"{exc.strerror}") from exc
        seen = (stat.st_mtime, stat.st_size)
        with self._lock:
            if self._current is None or seen != self._seen:
                self._current = None
                self._current = load(self.blob_path, self.root_path, now)
                self._seen = seen
            return self._current
