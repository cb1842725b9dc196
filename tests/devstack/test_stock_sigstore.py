"""Acceptance: the stock sigstore CLI signs and verifies with the devstack, in every identity mode."""

from __future__ import annotations

import pytest

from hallmark_testing.commands import sigstore


def _sign(stack, token: str, artifact) -> None:
    signed = sigstore("sign", "--identity-token", token, str(artifact), trust_config=stack.trust_config)
    assert signed.returncode == 0, signed.stderr
    assert artifact.with_name(artifact.name + ".sigstore.json").exists()


def _verify(stack, artifact, identity: str, issuer: str):
    return sigstore("verify", "identity", "--cert-identity", identity, "--cert-oidc-issuer", issuer, str(artifact),
                    trust_config=stack.trust_config)


def test_uri_identity_from_a_hallmark_token(hallmark, stack, token_for, tmp_path):
    artifact = tmp_path / "release.tar.gz"
    artifact.write_bytes(b"hallmark release 1.0\n")
    _sign(stack, token_for("signer"), artifact)
    ok = _verify(stack, artifact, f"{hallmark.url}/u/signer", hallmark.url)
    assert ok.returncode == 0 and f"OK: {artifact}" in ok.stderr + ok.stdout

    wrong_identity = _verify(stack, artifact, f"{hallmark.url}/u/someone-else", hallmark.url)
    assert wrong_identity.returncode != 0 and "FAIL" in wrong_identity.stderr
    wrong_issuer = _verify(stack, artifact, f"{hallmark.url}/u/signer", "http://localhost:1")
    assert wrong_issuer.returncode != 0

    artifact.write_bytes(b"hallmark release 1.0 with a backdoor\n")
    changed = _verify(stack, artifact, f"{hallmark.url}/u/signer", hallmark.url)
    assert changed.returncode != 0 and "digest mismatch" in changed.stderr


def test_email_identity(stack, issuers, tmp_path):
    issuer = issuers["email"]
    artifact = tmp_path / "mail.txt"
    artifact.write_text("signed by mail\n")
    _sign(stack, issuer.token(email="ada@example.org", email_verified=True), artifact)
    assert _verify(stack, artifact, "ada@example.org", issuer.url).returncode == 0
    assert _verify(stack, artifact, "eve@example.org", issuer.url).returncode != 0


def test_username_identity_and_the_stock_othername_quirk(stack, issuers, tmp_path):
    """Pins docs/design.md, "The Fulcio contract": stock sigstore 4.5.1 matches an OtherName SAN only by its DER-prefixed form."""
    issuer = issuers["username"]
    artifact = tmp_path / "user.txt"
    artifact.write_text("signed by username\n")
    _sign(stack, issuer.token(sub="alice"), artifact)
    plain = _verify(stack, artifact, "alice!localhost", issuer.url)
    assert plain.returncode != 0 and "actual SANs" in plain.stderr
    identity = "alice!localhost"
    der_prefixed = "\x0c" + chr(len(identity)) + identity
    assert _verify(stack, artifact, der_prefixed, issuer.url).returncode == 0, \
        "sigstore-python now decodes OtherName SANs properly: update docs/design.md ('The Fulcio contract') and hallmark verify"


@pytest.mark.parametrize("claims", [{"email_verified": False}, {"email_verified": None}, {"email": None}])
def test_email_must_be_present_and_verified(stack, issuers, tmp_path, claims):
    artifact = tmp_path / "x.txt"
    artifact.write_text("x")
    base = {"email": "ada@example.org", "email_verified": True}
    base.update(claims)
    signed = sigstore("sign", "--identity-token", issuers["email"].token(**base), str(artifact),
                      trust_config=stack.trust_config)
    assert signed.returncode != 0 and "FulcioClientError" in signed.stderr
