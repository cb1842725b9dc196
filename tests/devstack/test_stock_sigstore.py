"""Acceptance: the stock sigstore CLI signs and verifies with a Hallmark token and the devstack."""

from __future__ import annotations

from conftest import sigstore


def test_sign_and_verify_with_uri_identity(hallmark, stack, token_for, tmp_path):
    artifact = tmp_path / "release.tar.gz"
    artifact.write_bytes(b"hallmark release 1.0\n")
    signed = sigstore("sign", "--identity-token", token_for("signer"), str(artifact), trust_config=stack.trust_config)
    assert signed.returncode == 0, signed.stderr
    bundle = tmp_path / "release.tar.gz.sigstore.json"
    assert bundle.exists()
    verified = sigstore("verify", "identity", "--cert-identity", f"{hallmark.url}/u/signer",
                        "--cert-oidc-issuer", hallmark.url, str(artifact), trust_config=stack.trust_config)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stderr + verified.stdout
