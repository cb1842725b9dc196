"""A Rekor-v1-compatible transparency log for ``hashedrekord`` 0.0.1 entries.

Append-only and durable: an entry is committed to SQLite before it is acknowledged. Each
answer carries an RFC 6962 inclusion proof, a signed checkpoint (signed-note format, signer
named after the log's host:port as real Rekor does) and a signed entry timestamp.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from idp.common import merkle
from idp.common.tlog_tiles import length_prefixed
from idp.devstack.keyfiles import key_id, load_or_create_key

if TYPE_CHECKING:
    from idp.devstack.tile_mirror import TileMirror

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    log_index INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    integrated_time INTEGER NOT NULL
)
"""


class EntryRejected(ValueError):
    """A proposed entry is malformed or its signature does not verify (HTTP 400)."""


class DuplicateEntry(Exception):
    """An equivalent entry is already in the log (HTTP 409)."""

    def __init__(self, uuid: str):
        super().__init__(uuid)
        self.uuid = uuid


@dataclass(frozen=True)
class StoredEntry:
    log_index: int
    uuid: str
    body: bytes
    integrated_time: int


def canonical_hashedrekord(proposed: dict[str, Any]) -> bytes:
    """Validate a proposed hashedrekord 0.0.1 and return its canonical body (RFC 8785 JSON)."""
    try:
        if proposed.get("kind") != "hashedrekord" or proposed.get("apiVersion") != "0.0.1":
            raise EntryRejected("only kind 'hashedrekord' with apiVersion '0.0.1' is supported")
        spec = proposed["spec"]
        algorithm = spec["data"]["hash"]["algorithm"]
        digest_hex = spec["data"]["hash"]["value"]
        signature_b64 = spec["signature"]["content"]
        key_b64 = spec["signature"]["publicKey"]["content"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise EntryRejected(f"malformed hashedrekord: missing {exc}") from exc
    if algorithm != "sha256":
        raise EntryRejected("only sha256 digests are supported")
    try:
        digest = bytes.fromhex(digest_hex)
        signature = base64.b64decode(signature_b64, validate=True)
        key_pem = base64.b64decode(key_b64, validate=True)
    except (ValueError, TypeError) as exc:
        raise EntryRejected("hash must be hex; signature and publicKey must be base64") from exc
    if len(digest) != 32:
        raise EntryRejected("a sha256 digest is 32 bytes")
    _verify_prehashed(_public_key(key_pem), signature, digest)
    body: dict[str, Any] = {"apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {"data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                     "signature": {"content": signature_b64, "publicKey": {"content": key_b64}}}}
    return rfc8785.dumps(body)


def _public_key(pem: bytes) -> CertificatePublicKeyTypes | PublicKeyTypes:
    try:
        if b"CERTIFICATE" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise EntryRejected("publicKey is neither a PEM certificate nor a PEM public key") from exc


def _verify_prehashed(key: CertificatePublicKeyTypes | PublicKeyTypes, signature: bytes, digest: bytes) -> None:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            raise EntryRejected("ed25519 keys cannot sign a prehashed digest in hashedrekord")
        else:
            raise EntryRejected("unsupported public key type")
    except InvalidSignature as exc:
        raise EntryRejected("signature does not verify against the public key and digest") from exc


class TransparencyLog:
    """The log: SQLite for entries, one ECDSA key for checkpoints and SETs."""

    def __init__(self, db_path: Path, key: ec.EllipticCurvePrivateKey, public_url: str):
        self.key = key
        self.log_id = key_id(key.public_key())
        parts = urlsplit(public_url)
        self.origin = parts.netloc
        self._lock = threading.Lock()
        self.mirror: TileMirror | None = None       # the tiled copy monitors read (set by the app)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(SCHEMA)
        self._leaves = [merkle.leaf_hash(row[0]) for row in
                        self._db.execute("SELECT body FROM entries ORDER BY log_index")]

    @classmethod
    def open(cls, folder: Path, public_url: str) -> TransparencyLog:
        return cls(folder / "rekor.db", load_or_create_key(folder / "rekor.key"), public_url)

    @property
    def tree_id(self) -> str:
        return str(int.from_bytes(self.log_id[:8], "big") >> 1)

    @property
    def size(self) -> int:
        return len(self._leaves)

    def append(self, proposed: dict[str, Any]) -> StoredEntry:
        """Verify, then durably append ``proposed``; raises :class:`DuplicateEntry` if already logged."""
        body = canonical_hashedrekord(proposed)
        uuid = merkle.leaf_hash(body).hex()
        with self._lock:
            existing = self.by_uuid(uuid)
            if existing is not None:
                raise DuplicateEntry(uuid)
            index, now = len(self._leaves), int(time.time())
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO entries (log_index, uuid, body, integrated_time) VALUES (?,?,?,?)",
                                 (index, uuid, body, now))
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
            self._leaves.append(merkle.leaf_hash(body))
            if self.mirror is not None:
                self.mirror.append(length_prefixed(body), body)
            return StoredEntry(index, uuid, body, now)

    def _row(self, where: str, value: str | int) -> StoredEntry | None:
        row = self._db.execute(f"SELECT log_index, uuid, body, integrated_time FROM entries WHERE {where} = ?",
                               (value,)).fetchone()
        return StoredEntry(*row) if row else None

    def by_uuid(self, uuid: str) -> StoredEntry | None:
        return self._row("uuid", uuid.lower()[-64:])

    def by_index(self, index: int) -> StoredEntry | None:
        return self._row("log_index", index)

    def checkpoint(self, size: int, root_hash: bytes) -> str:
        """A signed note: ``origin\\nsize\\nb64(root)\\n\\n— NAME b64(keyhint‖sig)\\n``."""
        note = f"{self.origin}\n{size}\n{base64.b64encode(root_hash).decode()}\n"
        signature = self.key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        stamp = base64.b64encode(self.log_id[:4] + signature).decode()
        return f"{note}\n\u2014 {self.origin} {stamp}\n"

    def tree_head(self) -> dict[str, Any]:
        """``GET /api/v1/log``."""
        with self._lock:
            leaves = list(self._leaves)
        root_hash = merkle.root(leaves)
        return {"rootHash": root_hash.hex(), "signedTreeHead": self.checkpoint(len(leaves), root_hash),
                "treeID": self.tree_id, "treeSize": len(leaves)}

    def render(self, entry: StoredEntry) -> dict[str, Any]:
        """The Rekor v1 ``LogEntry`` JSON for ``entry``, proven against the current tree."""
        with self._lock:
            leaves = list(self._leaves)
        root_hash = merkle.root(leaves)
        body_b64 = base64.b64encode(entry.body).decode()
        promise: dict[str, Any] = {"body": body_b64, "integratedTime": entry.integrated_time,
                   "logID": self.log_id.hex(), "logIndex": entry.log_index}
        set_signature = self.key.sign(rfc8785.dumps(promise), ec.ECDSA(hashes.SHA256()))
        proof = {"checkpoint": self.checkpoint(len(leaves), root_hash),
                 "hashes": [h.hex() for h in merkle.inclusion_proof(entry.log_index, leaves)],
                 "logIndex": entry.log_index, "rootHash": root_hash.hex(), "treeSize": len(leaves)}
        return {entry.uuid: {**promise, "verification": {
            "inclusionProof": proof, "signedEntryTimestamp": base64.b64encode(set_signature).decode()}}}

    def find(self, proposed: dict[str, Any]) -> StoredEntry | None:
        """The entry equivalent to a proposed one, if logged (for ``/retrieve``)."""
        try:
            return self.by_uuid(merkle.leaf_hash(canonical_hashedrekord(proposed)).hex())
        except EntryRejected:
            return None

    def close(self) -> None:
        self._db.close()
        if self.mirror is not None:
            self.mirror.close()
