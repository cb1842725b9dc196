"""The entries of the two logs, read from their bundles: what each leaf is, what the Merkle tree hashes
(RFC 6962 leaf input), and the certificate it names.

A Rekor v2 bundle is a sequence of ``uint16`` length-prefixed canonical JSON entries (hashedrekord or
dsse, API version 0.0.2); the leaf is the entry itself. A static-ct data tile is a sequence of
``TileLeaf`` structures (RFC 6962 TLS encoding): the ``TimestampedEntry`` — timestamp, entry type, the
issuer key hash and TBS of a precertificate (or the certificate), extensions — then, for a precert, the
precertificate, then the chain's fingerprints. Its leaf is ``MerkleTreeLeaf``: version 0, type 0, the
``TimestampedEntry``. These length-prefixed frames are parsed here with ``struct``; the certificates
are parsed by ``cryptography``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography import x509

X509_ENTRY, PRECERT_ENTRY = 0, 1


class EntryMalformed(ValueError):
    """A bundle does not parse as the log's entries."""


@dataclass(frozen=True)
class CtEntry:
    """A certificate the CT log holds (Fulcio submits precertificates)."""

    index: int
    leaf: bytes                 # the RFC 6962 Merkle leaf input
    timestamp_ms: int
    certificate: x509.Certificate


@dataclass(frozen=True)
class RekorEntry:
    """A signature the Rekor v2 log holds: the artifact digest it signs and the certificate it names."""

    index: int
    leaf: bytes
    kind: str
    digest: str                 # sha256:<hex> of what was signed (for DSSE: of the envelope's payload hash)
    certificate: x509.Certificate | None


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.data):
            raise EntryMalformed("a bundle ends in the middle of an entry")
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def number(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def vector(self, length_width: int) -> bytes:
        return self.take(self.number(length_width))

    @property
    def done(self) -> bool:
        return self.at >= len(self.data)


def ct_leaves(bundle: bytes, first_index: int) -> Iterator[tuple[int, bytes]]:
    """(index, Merkle leaf input) of each entry of a static-ct data tile, without parsing certificates."""
    for index, leaf, _, _ in _ct_frames(bundle, first_index):
        yield index, leaf


def ct_entries(bundle: bytes, first_index: int) -> Iterator[CtEntry]:
    """The entries of a static-ct data tile whose first entry is ``first_index``."""
    for index, leaf, timestamp, der in _ct_frames(bundle, first_index):
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise EntryMalformed(f"entry {index} holds no certificate that parses: {exc}") from exc
        yield CtEntry(index=index, leaf=leaf, timestamp_ms=timestamp, certificate=certificate)


def _ct_frames(bundle: bytes, first_index: int) -> Iterator[tuple[int, bytes, int, bytes]]:
    """(index, leaf input, timestamp, certificate DER) of each TileLeaf."""
    reader, index = _Reader(bundle), first_index
    while not reader.done:
        start = reader.at
        timestamp = reader.number(8)
        entry_type = reader.number(2)
        if entry_type == X509_ENTRY:
            der = reader.vector(3)
        elif entry_type == PRECERT_ENTRY:
            reader.take(32)                     # issuer key hash
            reader.vector(3)                    # TBSCertificate
        else:
            raise EntryMalformed(f"entry {index} has the unknown entry type {entry_type}")
        reader.vector(2)                        # extensions (TesseraCT's leaf index)
        timestamped_entry = reader.data[start:reader.at]
        if entry_type == PRECERT_ENTRY:
            der = reader.vector(3)              # the precertificate itself
        reader.vector(2)                        # chain fingerprints
        yield index, b"\x00\x00" + timestamped_entry, timestamp, der
        index += 1


def _certificate(verifier: dict[str, Any]) -> x509.Certificate | None:
    raw = (verifier.get("x509Certificate") or {}).get("rawBytes")
    return x509.load_der_x509_certificate(base64.b64decode(raw)) if isinstance(raw, str) else None


def _rekor_entry(index: int, leaf: bytes) -> RekorEntry:
    try:
        body = json.loads(leaf)
        kind, spec = body["kind"], body["spec"]
        if kind == "hashedrekord" and body.get("apiVersion") == "0.0.1":       # Rekor v1 (the stand-in)
            digest = spec["data"]["hash"]["value"]
            pem = base64.b64decode(spec["signature"]["publicKey"]["content"])
            certificate = x509.load_pem_x509_certificate(pem) if b"CERTIFICATE" in pem else None
            return RekorEntry(index=index, leaf=leaf, kind=kind, digest=f"sha256:{digest}", certificate=certificate)
        if kind == "hashedrekord":
            inner = spec["hashedRekordV002"]
            digest = base64.b64decode(inner["data"]["digest"]).hex()
            verifier = inner["signature"]["verifier"]
        elif kind == "dsse":
            inner = spec["dsseV002"]
            digest = base64.b64decode(inner["payloadHash"]["digest"]).hex()
            verifier = inner["signatures"][0]["verifier"]
        else:
            return RekorEntry(index=index, leaf=leaf, kind=str(kind), digest="", certificate=None)
        return RekorEntry(index=index, leaf=leaf, kind=kind, digest=f"sha256:{digest}",
                          certificate=_certificate(verifier))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise EntryMalformed(f"Rekor entry {index} is not a hashedrekord or dsse entry: {exc}") from exc


def rekor_leaves(bundle: bytes, first_index: int) -> Iterator[tuple[int, bytes]]:
    """(index, leaf) of each entry of a tlog-tiles entry bundle (the leaf is the entry)."""
    reader, index = _Reader(bundle), first_index
    while not reader.done:
        yield index, reader.vector(2)
        index += 1


def rekor_entries(bundle: bytes, first_index: int) -> Iterator[RekorEntry]:
    """The entries of a tlog-tiles entry bundle whose first entry is ``first_index``."""
    reader, index = _Reader(bundle), first_index
    while not reader.done:
        yield _rekor_entry(index, reader.vector(2))
        index += 1
