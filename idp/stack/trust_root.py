"""The stack's ``trusted_root.json`` and ``signing_config.v0.2.json``: what verifiers trust and where
signers go. Log IDs are computed the way each server computes its own, so bundles name them."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idp.stack.layout import StackConfig

SIGNING_CONFIG_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
TRUSTED_ROOT_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
TRUST_CONFIG_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
NOTE_ED25519 = b"\x01"          # the signature type byte of C2SP signed notes for Ed25519


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def spki(key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def ct_log_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962: the SHA-256 of the log key's DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki(key)).digest()


def rekor_log_id(origin: str, key: ed25519.Ed25519PublicKey) -> bytes:
    """rekor-tiles: the full SHA-256 behind the signed-note key ID (origin, newline, type, raw key);
    its first four bytes are the key hint on every checkpoint signature."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(origin.encode() + b"\n" + NOTE_ED25519 + raw).digest()


def _chain(certificates: list[x509.Certificate]) -> dict[str, Any]:
    return {"certificates": [{"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))} for c in certificates]}


def _subject(certificate: x509.Certificate) -> dict[str, Any]:
    def first(oid: x509.ObjectIdentifier) -> str:
        values = certificate.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""
    return {"organization": first(x509.NameOID.ORGANIZATION_NAME), "commonName": first(x509.NameOID.COMMON_NAME)}


def trusted_root(config: StackConfig, *, ca_chain: list[x509.Certificate], tsa_chain: list[x509.Certificate],
                 ct_key: ec.EllipticCurvePublicKey, rekor_key: ed25519.Ed25519PublicKey) -> dict[str, Any]:
    start = {"start": _time(ca_chain[-1].not_valid_before_utc)}
    return {
        "mediaType": TRUSTED_ROOT_TYPE,
        "tlogs": [{"baseUrl": config.url("rekor"), "hashAlgorithm": "SHA2_256",
                   "publicKey": {"rawBytes": _b64(spki(rekor_key)), "keyDetails": "PKIX_ED25519",
                                 "validFor": start},
                   "logId": {"keyId": _b64(rekor_log_id(config.rekor_origin, rekor_key))}}],
        "certificateAuthorities": [{"subject": _subject(ca_chain[-1]), "uri": config.url("fulcio"),
                                    "certChain": _chain(ca_chain), "validFor": start}],
        "ctlogs": [{"baseUrl": config.ct_url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": _b64(spki(ct_key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": start},
                    "logId": {"keyId": _b64(ct_log_id(ct_key))}}],
        "timestampAuthorities": [{"subject": _subject(tsa_chain[-1]), "uri": f"{config.url('tsa')}/api/v1/timestamp",
                                  "certChain": _chain(tsa_chain), "validFor": start}],
    }


def signing_config(config: StackConfig, start: datetime) -> dict[str, Any]:
    def service(url: str, version: int) -> dict[str, Any]:
        return {"url": url, "majorApiVersion": version, "validFor": {"start": _time(start)},
                "operator": config.organization}
    return {
        "mediaType": SIGNING_CONFIG_TYPE,
        "caUrls": [service(config.url("fulcio"), 1)],
        "oidcUrls": [service(config.issuer, 1)],
        "rekorTlogUrls": [service(config.url("rekor"), 2)],
        "tsaUrls": [service(f"{config.url('tsa')}/api/v1/timestamp", 1)],
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaConfig": {"selector": "ANY"},
    }


def client_trust_config(root: dict[str, Any], signing: dict[str, Any]) -> dict[str, Any]:
    return {"mediaType": TRUST_CONFIG_TYPE, "trustedRoot": root, "signingConfig": signing}
