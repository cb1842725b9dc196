"""Signing and verifying on the real stack — Fulcio with a TesseraCT SCT, Rekor v2, RFC 3161 time —
with Hallmark's client, stock sigstore-python and cosign, crosswise. Every verifier must accept what
every signer made, and every verifier must refuse a changed file and a wrong identity."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from hallmark_testing.commands import hallmark_cli, sigstore
from judges.conftest import cosign, token_file


def artifact(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# ---- the signers --------------------------------------------------------------------------------

def sign_with_hallmark(stack, path: Path, username: str) -> Path:
    signed = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                          stack.token(username), str(path))
    assert signed.returncode == 0, signed.stderr
    return path.with_name(path.name + ".sigstore.json")


def sign_with_stock(stack, path: Path, username: str) -> Path:
    bundle = path.with_name(path.name + ".stock.sigstore.json")
    signed = sigstore("sign", "--identity-token", stack.token(username), "--bundle", str(bundle), str(path),
                      trust_config=stack.trust_config)
    assert signed.returncode == 0, signed.stderr
    return bundle


def sign_with_cosign(stack, path: Path, username: str) -> Path:
    bundle = path.with_name(path.name + ".cosign.sigstore.json")
    signed = cosign("sign-blob", "--yes", "--identity-token", str(token_file(path.parent, stack.token(username))),
                    "--signing-config", str(stack.layout.signing_config), "--trusted-root",
                    str(stack.layout.trusted_root), "--bundle", str(bundle), str(path), home=path.parent)
    assert signed.returncode == 0, signed.stderr
    return bundle


# ---- the verifiers: each returns (accepted, what it said) ---------------------------------------

def verify_with_hallmark(stack, path: Path, bundle: Path, identity: str) -> tuple[bool, str]:
    done = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", identity,
                        "--issuer", stack.hallmark.url, "--bundle", str(bundle), str(path))
    return done.returncode == 0, done.stdout + done.stderr


def verify_with_stock(stack, path: Path, bundle: Path, identity: str) -> tuple[bool, str]:
    done = sigstore("verify", "identity", "--cert-identity", identity, "--cert-oidc-issuer", stack.hallmark.url,
                    "--bundle", str(bundle), str(path), trust_config=stack.trust_config)
    return done.returncode == 0, done.stdout + done.stderr


def verify_with_cosign(stack, path: Path, bundle: Path, identity: str) -> tuple[bool, str]:
    done = cosign("verify-blob", "--new-bundle-format", "--bundle", str(bundle), "--certificate-identity", identity,
                  "--certificate-oidc-issuer", stack.hallmark.url, "--trusted-root", str(stack.layout.trusted_root),
                  str(path), home=path.parent)
    return done.returncode == 0, done.stdout + done.stderr


SIGSTORE_JS = Path(__file__).resolve().parent / "sigstore_js"


def verify_with_sigstore_js(stack, path: Path, bundle: Path, identity: str) -> tuple[bool, str]:
    if not (SIGSTORE_JS / "node_modules" / "@sigstore" / "verify").is_dir():
        pytest.fail(f"sigstore-js is not installed in {SIGSTORE_JS}: run 'make test-deps' (npm ci there)")
    done = subprocess.run(["node", str(SIGSTORE_JS / "verify.js"), str(bundle), str(path),
                           str(stack.layout.trusted_root), identity, stack.hallmark.url],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.returncode == 0 and done.stdout.strip() == "OK", done.stdout + done.stderr


SIGNERS = {"hallmark": sign_with_hallmark, "stock-sigstore": sign_with_stock, "cosign": sign_with_cosign}
VERIFIERS = {"hallmark": verify_with_hallmark, "stock-sigstore": verify_with_stock, "cosign": verify_with_cosign,
             "sigstore-js": verify_with_sigstore_js}


@pytest.fixture(scope="module")
def signed(real_stack, tmp_path_factory):
    """One file signed by each signer, as a different person each."""
    folder = tmp_path_factory.mktemp("signed")
    made = {}
    for name, sign in SIGNERS.items():
        path = artifact(folder, f"by-{name}.txt", f"signed by {name}\n")
        made[name] = (path, sign(real_stack, path, f"{name.replace('-', '')}signer"), f"{name.replace('-', '')}signer")
    return made


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("signer", SIGNERS)
def test_every_verifier_accepts_what_every_signer_made(real_stack, signed, signer, verifier):
    path, bundle, username = signed[signer]
    accepted, said = VERIFIERS[verifier](real_stack, path, bundle, real_stack.identity(username))
    assert accepted, said


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("signer", SIGNERS)
def test_every_verifier_refuses_a_changed_file(real_stack, signed, signer, verifier, tmp_path):
    path, bundle, username = signed[signer]
    changed = artifact(tmp_path, path.name, path.read_text() + "one more line\n")
    accepted, said = VERIFIERS[verifier](real_stack, changed, bundle, real_stack.identity(username))
    assert not accepted, said


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("signer", SIGNERS)
def test_every_verifier_refuses_a_wrong_identity(real_stack, signed, signer, verifier):
    path, bundle, _ = signed[signer]
    accepted, said = VERIFIERS[verifier](real_stack, path, bundle, real_stack.identity("somebody-else"))
    assert not accepted, said


def test_the_bundles_are_rekor_v2_with_an_rfc3161_time_and_an_sct(signed):
    for name, (_, bundle, _) in signed.items():
        material = json.loads(bundle.read_text())["verificationMaterial"]
        entry = material["tlogEntries"][0]
        assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.2"}, name
        assert "inclusionPromise" not in entry and int(entry.get("integratedTime", 0)) == 0, name
        assert material["timestampVerificationData"]["rfc3161Timestamps"], name
        certificate = x509.load_der_x509_certificate(base64.b64decode(material["certificate"]["rawBytes"]))
        scts = certificate.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps)
        assert len(scts.value) == 1, name


def test_hallmark_verify_says_when_the_timestamp_authority_saw_the_signature(real_stack, signed):
    path, bundle, username = signed["hallmark"]
    accepted, said = verify_with_hallmark(real_stack, path, bundle, real_stack.identity(username))
    year = datetime.now(UTC).year
    assert accepted and f" at {year}-" in said, said
