"""The sigstore-python ``ClientTrustConfig`` for this stack: trusted root + signing config v0.2."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp.devstack.ca import CertificateAuthority
from idp.devstack.keyfiles import spki_der
from idp.devstack.rekor import TransparencyLog

OPERATOR = "Hallmark devstack (development only)"
FILENAME = "trust_config.json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _log_entry(base_url: str, public_key: ec.EllipticCurvePublicKey, log_id: bytes, start: str) -> dict[str, Any]:
    return {"baseUrl": base_url, "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": _b64(spki_der(public_key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                          "validFor": {"start": start}},
            "logId": {"keyId": _b64(log_id)}}


def trust_config(ca: CertificateAuthority, log: TransparencyLog, public_url: str, oidc_url: str) -> dict[str, Any]:
    """The trust config document as a dict."""
    start = _time(ca.root.not_valid_before_utc)
    organization = ca.root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    common_name = ca.root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    service = {"majorApiVersion": 1, "validFor": {"start": start}, "operator": OPERATOR}
    return {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [_log_entry(public_url, log.key.public_key(), log.log_id, start)],
            "certificateAuthorities": [{
                "subject": {"organization": organization, "commonName": common_name},
                "uri": public_url,
                "certChain": {"certificates": [{"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))}
                                               for c in ca.chain]},
                "validFor": {"start": start}}],
            "ctlogs": [_log_entry(f"{public_url}/ct", ca.ct.key.public_key(), ca.ct.log_id, start)],
            "timestampAuthorities": [],
        },
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": public_url, **service}],
            "oidcUrls": [{"url": oidc_url, **service}],
            "rekorTlogUrls": [{"url": public_url, **service}],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }


def write_trust_config(folder: Path, ca: CertificateAuthority, log: TransparencyLog, public_url: str,
                       oidc_url: str) -> Path:
    """Write the trust config atomically into ``folder``; returns its path."""
    path = folder / FILENAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(trust_config(ca, log, public_url, oidc_url), indent=2))
    os.replace(tmp, path)
    return path
