"""What the judges' tests send: a certificate request, a token shaped like Hallmark's, a file to sign,
and ``hallmark sign`` against a stack."""

from __future__ import annotations

import base64
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.helpers import unique_name
from idp.oauth import signing_keys as keys
from idp.platform import clock


def ask_for_certificate(fulcio_url: str, token: str) -> requests.Response:
    """Fulcio's ``signingCert`` with a fresh key's CSR."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    body = {"certificateSigningRequest": base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()}
    return requests.post(f"{fulcio_url}/api/v2/signingCert", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}"})


def signed_like_hallmark(hallmark, key=None, **claims) -> str:
    """A token with Hallmark's header and claims, changed by ``claims`` (signed with Hallmark's key by
    default: what an attacker holding that key would mint, with no login behind it)."""
    settings = hallmark.app.extensions["hallmark"]
    with hallmark.app.app_context():
        signing = key or keys.active_key(settings)
    now = clock.timestamp()
    payload = {"iss": settings.issuer, "sub": f"{settings.issuer}/u/forged", "aud": "sigstore", "iat": now,
               "exp": now + 300, **claims}
    return jwt.encode({"alg": "ES256", "typ": "JWT", "kid": signing.kid or "forged"}, payload, signing)


def artifact(folder: Path, text: str = "a release\n") -> Path:
    path = folder / f"{unique_name('file')}.txt"
    path.write_text(text)
    return path


def sign(stack, path: Path, token: str):
    return hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token, str(path))
