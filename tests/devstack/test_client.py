"""``hallmark sign`` / ``verify`` / ``digest`` with a given token, against Hallmark and the devstack."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time

import pytest

from hallmark_testing.commands import hallmark_cli, sigstore


@pytest.fixture(scope="module")
def signed(hallmark, stack, token_for, tmp_path_factory):
    """Three files signed by one login of 'maria'."""
    folder = tmp_path_factory.mktemp("signed")
    files = []
    for i in range(3):
        path = folder / f"pkg-{i}.tar.gz"
        path.write_bytes(f"package {i}\n".encode())
        files.append(path)
    result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                          token_for("maria"), *map(str, files))
    assert result.returncode == 0, result.stderr
    return files, result


def test_sign_writes_a_bundle_per_file_with_progress(signed, hallmark):
    files, result = signed
    assert f"Signing as {hallmark.url}/u/maria" in result.stderr
    for number in range(1, 4):                     # files are signed side by side: counted as they finish
        assert result.stderr.count(f"[{number}/3] ") == 1, result.stderr
    for path in files:
        assert re.search(rf"\[\d/3\] {re.escape(str(path))} → ", result.stderr), result.stderr
        assert path.with_name(path.name + ".sigstore.json").exists()


def test_verify_names_signer_and_time(signed, hallmark, stack):
    files, _ = signed
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                          f"{hallmark.url}/u/maria", "--issuer", hallmark.url, *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    for path in files:
        assert f"OK: {path}: signed by {hallmark.url}/u/maria at " in result.stdout
    assert "log index" in result.stdout


def test_verify_refuses_wrong_identity_and_changed_file(signed, hallmark, stack, tmp_path):
    files, _ = signed
    wrong = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                         f"{hallmark.url}/u/mallory", "--issuer", hallmark.url, str(files[0]))
    assert wrong.returncode == 1 and f"not {hallmark.url}/u/mallory" in wrong.stdout
    copy = tmp_path / files[1].name
    copy.write_bytes(files[1].read_bytes() + b"tampered")
    changed = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                           f"{hallmark.url}/u/maria", "--issuer", hallmark.url,
                           "--bundle", str(files[1].with_name(files[1].name + ".sigstore.json")), str(copy))
    assert changed.returncode == 1 and "FAIL" in changed.stdout


def test_missing_bundle_is_a_clear_failure(hallmark, stack, tmp_path):
    lonely = tmp_path / "lonely.txt"
    lonely.write_text("never signed")
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", "x", "--issuer", "y",
                          str(lonely))
    assert result.returncode == 1 and "bundle not found" in result.stdout and "Traceback" not in result.stderr


def test_stock_sigstore_verifies_hallmark_bundles(signed, hallmark, stack):
    files, _ = signed
    result = sigstore("verify", "identity", "--cert-identity", f"{hallmark.url}/u/maria", "--cert-oidc-issuer",
                      hallmark.url, str(files[0]), trust_config=stack.trust_config)
    assert result.returncode == 0, result.stderr


def test_hallmark_verifies_stock_sigstore_bundles(hallmark, stack, token_for, tmp_path):
    artifact = tmp_path / "stock.txt"
    artifact.write_text("signed by the stock client\n")
    assert sigstore("sign", "--identity-token", token_for("stocky"), str(artifact),
                    trust_config=stack.trust_config).returncode == 0
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                          f"{hallmark.url}/u/stocky", "--issuer", hallmark.url, str(artifact))
    assert result.returncode == 0 and "OK:" in result.stdout


def test_username_identity_is_matched_by_its_plain_value(stack, issuers, tmp_path):
    """docs/design.md, "The Fulcio contract": unlike the stock policy, hallmark verify decodes the OtherName UTF8String."""
    issuer = issuers["username"]
    artifact = tmp_path / "u.txt"
    artifact.write_text("username mode\n")
    assert hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                        issuer.token(sub="alice"), str(artifact)).returncode == 0
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", "alice!localhost",
                          "--issuer", issuer.url, str(artifact))
    assert result.returncode == 0 and "signed by alice!localhost" in result.stdout


def test_digest_mode_agrees_with_sha256sum(signed, hallmark, stack):
    files, _ = signed
    bundle = str(files[2]) + ".sigstore.json"
    sha256sum = subprocess.run(["sha256sum", str(files[2])], capture_output=True, text=True).stdout.split()[0]
    assert sha256sum == hashlib.sha256(files[2].read_bytes()).hexdigest()
    printed = hallmark_cli("digest", bundle)
    assert printed.returncode == 0 and printed.stdout.strip() == f"sha256:{sha256sum}"
    ok = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", f"{hallmark.url}/u/maria",
                      "--issuer", hallmark.url, "--digest", f"sha256:{sha256sum}", "--bundle", bundle)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", f"{hallmark.url}/u/maria",
                         "--issuer", hallmark.url, "--digest", "sha256:" + "0" * 64, "--bundle", bundle)
    assert wrong.returncode == 1


@pytest.mark.parametrize("args,message", [
    (["sign", "x.txt"], "--trust-config"),
    (["verify", "x.txt", "--trust-config", "/nonexistent.json", "--identity", "a", "--issuer", "b"], "Cannot read"),
    (["verify", "x.txt", "--trust-config", "/etc/hostname"], "--identity ID --issuer URL"),
    (["verify", "--digest", "sha1:00", "--bundle", "b.json", "--identity", "a", "--issuer", "b",
      "--trust-config", "/etc/hostname"], "not a valid"),
])
def test_usage_errors_exit_2(args, message):
    result = hallmark_cli(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_expired_token_and_unknown_issuer_are_explained(stack, issuers, tmp_path):
    artifact = tmp_path / "e.txt"
    artifact.write_text("e")
    expired = issuers["email"].token(email="a@example.org", email_verified=True, exp=int(time.time()) - 10,
                                     iat=int(time.time()) - 100)
    result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", expired,
                          str(artifact))
    assert result.returncode == 1 and "expired" in result.stderr and "Log in again" in result.stderr
    stranger = issuers["email"].token(iss="http://localhost:1", email="a@example.org", email_verified=True)
    result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", stranger,
                          str(artifact))
    assert result.returncode == 1 and "unknown issuer" in result.stderr and "Traceback" not in result.stderr


def test_many_files_verify_in_worker_processes_in_order_and_a_changed_one_fails_alone(hallmark, stack, token_for,
                                                                                      tmp_path):
    files = []
    for i in range(40):                            # above IN_PROCESS_BELOW: verified by worker processes
        path = tmp_path / f"many-{i:02d}.txt"
        path.write_text(f"file {i}\n")
        files.append(path)
    signed = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                          token_for("many"), *map(str, files))
    assert signed.returncode == 0, signed.stderr
    files[17].write_text("changed after signing\n")
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                          f"{hallmark.url}/u/many", "--issuer", hallmark.url, *map(str, files))
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and len(lines) == 40, result.stdout + result.stderr
    for i, line in enumerate(lines):
        assert line.startswith(("FAIL: " if i == 17 else "OK: ") + str(files[i]) + ": "), line
    assert "the file changed since it was signed" in lines[17]
