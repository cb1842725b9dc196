"""Signing files: one certificate from Fulcio, one signature and Rekor entry per file, a bundle each."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import TextIO

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore._internal.fulcio.client import FulcioClientError
from sigstore._internal.rekor import RekorClientError
from sigstore.errors import Error as SigstoreError
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext

from . import ClientError
from .instance import Instance


def bundle_path(artifact: Path, label: str | None = None) -> Path:
    """``FILE.sigstore.json``, or ``FILE.<label>.sigstore.json`` when several people sign one file."""
    return artifact.with_name(f"{artifact.name}.{label}.sigstore.json" if label else f"{artifact.name}.sigstore.json")


def ca_refusal(instance: Instance, token: IdentityToken) -> str | None:
    """Ask the CA why it refuses ``token`` (sigstore-python drops Fulcio's error body)."""
    try:
        ca_url = instance.trust_config.signing_config.get_fulcio().url
    except SigstoreError:
        return None
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    body = {"certificateSigningRequest": base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()}
    try:
        reply = requests.post(f"{ca_url.rstrip('/')}/api/v2/signingCert", json=body, timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        return reply.json().get("message") if reply.status_code >= 400 else None
    except (requests.RequestException, ValueError):
        return f"the certificate authority at {ca_url} is unreachable"


def sign_files(files: list[Path], token: IdentityToken, instance: Instance, *, overwrite: bool = False,
               label: str | None = None, out: TextIO = sys.stderr) -> list[Path]:
    """Sign every file with one certificate; writes ``FILE.sigstore.json`` next to each."""
    for path in files:
        if not path.is_file():
            raise ClientError(f"{path}: no such file.")
        if bundle_path(path, label).exists() and not overwrite:
            raise ClientError(f"{bundle_path(path, label)} already exists; pass --overwrite to replace it.")
    context = SigningContext.from_trust_config(instance.trust_config)
    written = []
    try:
        with context.signer(token, cache=True) as signer:
            print(f"Signing as {token.identity} (issuer {token.issuer})", file=out, flush=True)
            for number, path in enumerate(files, 1):
                bundle = signer.sign_artifact(path.read_bytes())
                target = bundle_path(path, label)
                target.write_text(bundle.to_json())
                entry = bundle.log_entry._inner
                print(f"[{number}/{len(files)}] {path} → {target} (log index {entry.log_index})",
                      file=out, flush=True)
                written.append(target)
    except (SigstoreError, FulcioClientError, RekorClientError) as exc:
        reason = ca_refusal(instance, token) or str(exc) or exc.__class__.__name__
        raise ClientError(f"Signing failed: {reason}") from exc
    except requests.RequestException as exc:
        raise ClientError(f"Signing failed: a Sigstore service is unreachable ({exc.__class__.__name__}).") from exc
    return written
