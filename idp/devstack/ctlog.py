"""The stack's certificate transparency log: signs SCTs for precertificates (RFC 6962 §3.2)."""

from __future__ import annotations

import struct
import time
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from idp.devstack.keyfiles import key_id

if TYPE_CHECKING:
    from idp.devstack.tile_mirror import TileMirror

SCT_VERSION_V1 = 0
CERTIFICATE_TIMESTAMP = 0
PRECERT_ENTRY = 1
HASH_SHA256, SIG_ECDSA = 4, 3


def _u24(n: int) -> bytes:
    return struct.pack(">I", n)[1:]


class CTLog:
    """Issues signed certificate timestamps with one ECDSA key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey):
        self.key = key
        self.log_id = key_id(key.public_key())
        self.mirror: TileMirror | None = None       # the tiled copy monitors read (set by the app)

    def sct_for_precertificate(self, tbs: bytes, issuer_key_hash: bytes, timestamp_ms: int | None = None) -> bytes:
        """A TLS-encoded SCT over ``tbs`` (the TBSCertificate without the SCT extension)."""
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        signed = (struct.pack(">BBQH", SCT_VERSION_V1, CERTIFICATE_TIMESTAMP, ts, PRECERT_ENTRY)
                  + issuer_key_hash + _u24(len(tbs)) + tbs + struct.pack(">H", 0))
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (struct.pack(">B", SCT_VERSION_V1) + self.log_id + struct.pack(">QH", ts, 0)
                + struct.pack(">BBH", HASH_SHA256, SIG_ECDSA, len(signature)) + signature)


def sct_list(*scts: bytes) -> bytes:
    """The TLS SignedCertificateTimestampList around ``scts``."""
    body = b"".join(struct.pack(">H", len(s)) + s for s in scts)
    return struct.pack(">H", len(body)) + body
