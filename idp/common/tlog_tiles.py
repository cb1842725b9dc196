"""Writing a tiled log the way TesseraCT and Rekor v2 lay theirs out (C2SP tlog-tiles, static-ct-api):
entry bundles of up to 256 entries under ``tile/<entries>/``, and a checkpoint signed as a C2SP note.

The development stand-in writes its CT log and Rekor log this way beside its own stores, so that the
identity monitor reads it exactly as it reads the real logs; ``bench/monitor.py`` seeds logs with it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

WIDTH = 256
ED25519, RFC6962 = 0x01, 0x05


def index_path(index: int) -> str:
    """``index`` in tlog-tiles' path form: three-digit groups, all but the last prefixed with ``x``."""
    digits = f"{index:03d}"
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits.zfill(3))
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def bundle_path(folder: Path, entries: str, number: int, count: int) -> Path:
    """Where bundle ``number`` holding ``count`` entries lives (``N.p/W`` while it is partial)."""
    return folder / "tile" / entries / (index_path(number) + ("" if count == WIDTH else f".p/{count}"))


def key_hash(origin: str, public_key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    """The four bytes that name a note signer: SHA-256(name, newline, type, key material)."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        kind, material = ED25519, public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        kind = RFC6962
        material = hashlib.sha256(public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
    return hashlib.sha256(origin.encode() + b"\n" + bytes([kind]) + material).digest()[:4]


def signed_checkpoint(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey, origin: str, size: int,
                      root: bytes) -> str:
    """A checkpoint note for ``size`` and ``root``: Ed25519 over the text, or (ECDSA) the RFC 6962 tree
    head signature with its timestamp, as static-ct logs sign."""
    text = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(text.encode())
    else:
        timestamp = int(time.time() * 1000)
        der = key.sign(struct.pack(">BBQQ", 0, 1, timestamp, size) + root, ec.ECDSA(hashes.SHA256()))
        signature = struct.pack(">QBBH", timestamp, 4, 3, len(der)) + der
    blob = key_hash(origin, key.public_key()) + signature
    return f"{text}\n\u2014 {origin} {base64.b64encode(blob).decode()}\n"


def static_ct_leaf(timestamp_ms: int, tbs: bytes, precertificate: bytes) -> tuple[bytes, bytes]:
    """(the data tile's ``TileLeaf``, the Merkle leaf input) of a precertificate entry."""
    entry = (struct.pack(">QH", timestamp_ms, 1) + bytes(32) + len(tbs).to_bytes(3, "big") + tbs
             + struct.pack(">H", 0))
    return entry + len(precertificate).to_bytes(3, "big") + precertificate + struct.pack(">H", 0), b"\x00\x00" + entry


def length_prefixed(entry: bytes) -> bytes:
    """A tlog-tiles entry in a bundle: its length as ``uint16``, then the entry."""
    return struct.pack(">H", len(entry)) + entry


def write_bundle(folder: Path, entries: str, number: int, framed: list[bytes]) -> None:
    """Write bundle ``number`` (full, or partial under ``.p/``)."""
    path = bundle_path(folder, entries, number, len(framed))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(framed))
