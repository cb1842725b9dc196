"""``hallmark stack init --ca-custody pkcs11``: Fulcio's CA key is made inside Hallmark's PKCS#11 token
(SoftHSM2 here) and never leaves it; the real Fulcio signs with it (``--ca pkcs11ca``), and the
bundles verify with the stock client."""

from __future__ import annotations

from hallmark_testing.commands import hallmark_cli, sigstore
from hallmark_testing.helpers import SOFTHSM_MODULE
from idp.platform.hsm import store_for
from judges.conftest import start_real_stack


def test_the_real_fulcio_issues_with_a_ca_key_that_stays_in_the_token(softhsm, tmp_path):
    pin = softhsm.read_text().strip()
    stack = start_real_stack(tmp_path / "stack", ca_custody="pkcs11", pkcs11_module=SOFTHSM_MODULE,
                             pkcs11_token_label="hallmark", pkcs11_pin=pin)
    try:
        folder = stack.layout.folder
        assert not (folder / "fulcio" / "ca.key.pem").exists(), "no CA key file with pkcs11 custody"
        settings = stack.hallmark.app.extensions["hallmark"]
        assert store_for(settings).protection(stack.config.ca_key_label) == {"sensitive": True, "extractable": False}
        artifact = tmp_path / "from-the-hsm.txt"
        artifact.write_text("certified by a key in the token\n")
        signed = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                              stack.token("hsmsigner"), str(artifact))
        assert signed.returncode == 0, signed.stderr
        verified = sigstore("verify", "identity", "--cert-identity", stack.identity("hsmsigner"),
                            "--cert-oidc-issuer", stack.hallmark.url, str(artifact), trust_config=stack.trust_config)
        assert verified.returncode == 0, verified.stderr
    finally:
        stack.close()
