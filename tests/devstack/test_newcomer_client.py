"""The newcomer's path with the signing client (issue 17, items 2, 4 and 5): one sentence per mistake."""

from __future__ import annotations

import html
import json
import os

import pytest

from hallmark_testing.commands import hallmark_cli

UNREACHABLE = "http://127.0.0.1:9"


def one_sentence(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("mode", ["browser", "device"])
def test_n2_an_unreachable_issuer_is_one_sentence(stack, tmp_path, mode):
    artifact = tmp_path / "f.txt"
    artifact.write_text("x\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    extra = ["--device"] if mode == "device" else []
    if mode == "browser":
        env["BROWSER"] = "true"                                 # a browser "exists": the loopback flow
    result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--issuer", UNREACHABLE, *extra,
                          str(artifact), env=env)
    assert result.returncode == 1
    assert f"Cannot reach {UNREACHABLE}" in one_sentence(result) and "connection was refused" in result.stderr


def test_n2_trust_with_an_unreachable_provider_is_one_sentence(tmp_path):
    from tuf.api.metadata import Metadata, Root

    root = tmp_path / "root.json"
    root.write_bytes(Metadata(Root()).to_bytes())
    result = hallmark_cli("trust", UNREACHABLE, str(root))
    assert result.returncode == 1 and "Cannot reach" in one_sentence(result)


def test_n4_sign_checks_the_files_before_any_login(stack, tmp_path):
    missing = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--issuer", UNREACHABLE,
                           str(tmp_path / "nosuch.tar.gz"))
    assert missing.returncode == 1 and "nosuch.tar.gz: no such file" in one_sentence(missing)
    artifact = tmp_path / "signed.txt"
    artifact.write_text("x\n")
    (tmp_path / "signed.txt.sigstore.json").write_text("{}")
    exists = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--issuer", UNREACHABLE, str(artifact))
    assert exists.returncode == 1 and "already exists; pass --overwrite" in one_sentence(exists)
    assert "Cannot reach" not in missing.stderr + exists.stderr           # no login was tried


def test_n5_a_bare_authorize_says_what_a_client_sends(hallmark):
    page = hallmark.app.test_client().get("/authorize")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 400 and "response_type must be code" in text and "'None'" not in text


def test_n5_a_changed_file_and_a_missing_file_say_so(hallmark, stack, token_for, tmp_path):
    artifact = tmp_path / "changed.txt"
    artifact.write_text("before\n")
    assert hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token_for("changer"),
                        str(artifact)).returncode == 0
    artifact.write_text("after\n")
    changed = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                           f"{hallmark.url}/u/changer", "--issuer", hallmark.url, str(artifact))
    assert changed.returncode == 1 and "the file changed since it was signed" in changed.stdout
    artifact.unlink()
    gone = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                        f"{hallmark.url}/u/changer", "--issuer", hallmark.url, str(artifact))
    assert gone.returncode == 1 and "no such file to verify" in gone.stdout and "bundle not found" not in gone.stdout


def test_n5_a_trust_config_of_the_wrong_shape_is_one_plain_sentence(tmp_path):
    bad = tmp_path / "trust.json"
    bad.write_text(json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                               "trustedRoot": {"x": 1}}))
    result = hallmark_cli("verify", "--trust-config", str(bad), "--identity", "a@example.org", "--issuer",
                          "https://x.example", str(bad))
    line = one_sentence(result)
    assert result.returncode == 2 and "trustedRoot" in line and "pydantic" not in line and "https://errors" not in line


def test_n5_a_revoked_or_unknown_key_says_what_to_do(hallmark):
    from idp.ceremony.ceremonies import GENERIC_REFUSAL

    assert "revoked" in GENERIC_REFUSAL and "Try another of your keys" in GENERIC_REFUSAL
