"""A software WebAuthn authenticator for unit tests (ES256, UP and UV flags). Attestation is 'none' unless a
test sets ``attestation`` to 'self' (packed self-attestation) or 'packed' (with ``attestation_chain`` and
``attestation_key``, see hallmark_testing.mds)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One credential on one authenticator; fields are public so tests can tamper with them."""

    def __init__(self, origin: str = "http://localhost", rp_id: str = "localhost", sign_count: int = 0,
                 count_step: int = 1):
        self.origin, self.rp_id = origin, rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count, self.count_step = sign_count, count_step
        self.user_handle: bytes | None = None
        self.aaguid = bytes(16)
        self.attestation = "none"
        self.attestation_chain: list[bytes] = []
        self.attestation_key: ec.EllipticCurvePrivateKey | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict, *, flags: int = UP | UV, origin: str | None = None,
               kind: str = "webauthn.create", rp_id: str | None = None) -> dict:
        """Answer ``navigator.credentials.create()`` options (JSON form)."""
        self.user_handle = unb64u(options["user"]["id"])
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        attested = self.aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([flags | AT]) + struct.pack(">I", self.sign_count) + attested
        client_data = self._client_data(kind, options["challenge"], origin)
        attestation = cbor2.dumps(self._attestation(auth_data, hashlib.sha256(client_data).digest()))
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64u(client_data), "attestationObject": b64u(attestation),
                             "transports": ["usb"]}}

    def _attestation(self, auth_data: bytes, client_data_hash: bytes) -> dict:
        if self.attestation == "none":
            return {"fmt": "none", "attStmt": {}, "authData": auth_data}
        signer = self.key if self.attestation == "self" else self.attestation_key
        statement = {"alg": -7, "sig": signer.sign(auth_data + client_data_hash, ec.ECDSA(hashes.SHA256()))}
        if self.attestation == "packed":
            statement["x5c"] = list(self.attestation_chain)
        return {"fmt": "packed", "attStmt": statement, "authData": auth_data}

    def get(self, options: dict, *, flags: int = UP | UV, origin: str | None = None,
            kind: str = "webauthn.get", rp_id: str | None = None, counter: int | None = None,
            user_handle: bytes | None = None) -> dict:
        """Answer ``navigator.credentials.get()`` options (JSON form)."""
        if counter is None:
            self.sign_count += self.count_step
            counter = self.sign_count
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([flags]) + struct.pack(">I", counter)
        client_data = self._client_data(kind, options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        handle = user_handle if user_handle is not None else self.user_handle
        response = {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data),
                    "signature": b64u(signature)}
        if handle:
            response["userHandle"] = b64u(handle)
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "clientExtensionResults": {}, "response": response}
