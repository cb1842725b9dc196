"""Durability: keys and log survive a restart; bundles made before it still verify after it."""

from __future__ import annotations

import json

from hallmark_testing.commands import sigstore


def test_restart_between_signing_and_verifying(hallmark, stack, token_for, tmp_path):
    first = tmp_path / "before.txt"
    first.write_text("signed before the restart\n")
    assert sigstore("sign", "--identity-token", token_for("restarter"), str(first),
                    trust_config=stack.trust_config).returncode == 0
    size_before = stack.app.extensions["devstack"]["log"].size
    old_port = stack.port
    roots_before = json.loads(stack.trust_config.read_text())["trustedRoot"]

    stack.restart()

    assert stack.port != old_port
    assert stack.app.extensions["devstack"]["log"].size == size_before
    roots_after = json.loads(stack.trust_config.read_text())["trustedRoot"]
    assert roots_after["certificateAuthorities"][0]["certChain"] == roots_before["certificateAuthorities"][0]["certChain"]
    assert roots_after["tlogs"][0]["logId"] == roots_before["tlogs"][0]["logId"]
    identity = ("--cert-identity", f"{hallmark.url}/u/restarter", "--cert-oidc-issuer", hallmark.url)
    assert sigstore("verify", "identity", *identity, str(first), trust_config=stack.trust_config).returncode == 0

    second = tmp_path / "after.txt"
    second.write_text("signed after the restart\n")
    assert sigstore("sign", "--identity-token", token_for("restarter2"), str(second),
                    trust_config=stack.trust_config).returncode == 0
    bundle = json.loads((tmp_path / "after.txt.sigstore.json").read_text())
    assert int(bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"]) == size_before
    assert sigstore("verify", "identity", "--cert-identity", f"{hallmark.url}/u/restarter2", "--cert-oidc-issuer",
                    hallmark.url, str(second), trust_config=stack.trust_config).returncode == 0
