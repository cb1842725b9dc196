"""Signing and verifying on the real stack: Fulcio → TesseraCT SCT, Rekor v2 entry, RFC 3161 time."""

from __future__ import annotations

import json

from commands import hallmark_cli, sigstore


def test_hallmark_sign_makes_a_rekor_v2_bundle_that_stock_sigstore_verifies(real_stack, tmp_path):
    artifact = tmp_path / "release.tar.gz"
    artifact.write_bytes(b"a release\n")
    token = real_stack.token("alice")
    signed = hallmark_cli("sign", "--trust-config", str(real_stack.trust_config), "--identity-token", token,
                          str(artifact))
    assert signed.returncode == 0, signed.stderr
    bundle = json.loads((tmp_path / "release.tar.gz.sigstore.json").read_text())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.2"}
    assert bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
    verified = sigstore("verify", "identity", "--cert-identity", real_stack.identity("alice"),
                        "--cert-oidc-issuer", real_stack.hallmark.url, str(artifact),
                        trust_config=real_stack.trust_config)
    assert verified.returncode == 0, verified.stderr
