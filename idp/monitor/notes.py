"""Checkpoints as C2SP signed notes, verified with the log keys of the trusted root.

Two signature types occur: Ed25519 (type 0x01, Rekor v2) and the RFC 6962 tree-head signature that
static-ct logs use (type 0x05, TesseraCT): an 8-byte timestamp and a TLS ``DigitallySigned`` ECDSA
signature over the RFC 6962 ``TreeHeadSignature`` of the checkpoint's size and root. The key hash of a
signature line is the first four bytes of SHA-256(name, newline, type, key material). The cryptography is
``cryptography``'s; this module only frames the bytes.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idp.common.tlog_tiles import ED25519, RFC6962, key_hash

DASH = "\u2014 "


class CheckpointRefused(ValueError):
    """The checkpoint is malformed, or no signature by the log's key verifies."""


@dataclass(frozen=True)
class LogKey:
    """A log's checkpoint key: its origin (the note's signer name) and public key."""

    origin: str
    public_key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

    @property
    def kind(self) -> int:
        return ED25519 if isinstance(self.public_key, ed25519.Ed25519PublicKey) else RFC6962

    def key_hash(self) -> bytes:
        return key_hash(self.origin, self.public_key)


@dataclass(frozen=True)
class Checkpoint:
    """A verified tree head: origin, size and root hash, and the note it came from."""

    origin: str
    size: int
    root: bytes
    note: str


def _text_and_signatures(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    text, separator, rest = note.partition("\n\n")
    if not separator or not text:
        raise CheckpointRefused("not a signed note: no blank line between the text and its signatures")
    signatures = []
    for line in rest.splitlines():
        if not line.startswith(DASH):
            continue
        name, _, encoded = line[len(DASH):].rpartition(" ")
        try:
            signatures.append((name, base64.b64decode(encoded, validate=True)))
        except binascii.Error:
            continue
    return text + "\n", signatures


def _parse(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit() or (lines[1].startswith("0") and lines[1] != "0"):
        raise CheckpointRefused("the checkpoint's text is not origin, size and root hash")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise CheckpointRefused("the checkpoint's root hash is not base64") from None
    if len(root) != 32:
        raise CheckpointRefused("the checkpoint's root hash is not a SHA-256 hash")
    return lines[0], int(lines[1]), root


def _verifies(key: LogKey, signed: bytes, size: int, root: bytes, signature: bytes) -> bool:
    try:
        if isinstance(key.public_key, ed25519.Ed25519PublicKey):
            key.public_key.verify(signature, signed)
            return True
        timestamp, hash_alg, sig_alg, length = struct.unpack(">QBBH", signature[:12])
        der = signature[12:]
        if (hash_alg, sig_alg) != (4, 3) or length != len(der):      # sha256, ecdsa
            return False
        tree_head = struct.pack(">BBQQ", 0, 1, timestamp, size) + root   # v1, tree_hash
        key.public_key.verify(der, tree_head, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, struct.error, ValueError):
        return False


def verify(note: str, key: LogKey) -> Checkpoint:
    """The checkpoint in ``note`` if a signature by ``key`` verifies over it; else :class:`CheckpointRefused`."""
    text, signatures = _text_and_signatures(note)
    origin, size, root = _parse(text)
    if origin != key.origin:
        raise CheckpointRefused(f"the checkpoint is for the log {origin!r}, not {key.origin!r}")
    wanted = key.key_hash()
    for name, blob in signatures:
        if name == key.origin and blob[:4] == wanted and _verifies(key, text.encode(), size, root, blob[4:]):
            return Checkpoint(origin=origin, size=size, root=root, note=note)
    raise CheckpointRefused(f"no signature by the key of {key.origin!r} verifies on this checkpoint")
