"""Logging in through real Chromium with a virtual security key, then signing on the real stack:
``hallmark sign`` (loopback browser flow and device flow), stock ``sigstore sign`` and cosign's own
browser login against Hallmark (the signing config's ``oidcUrls``, ``--oidc-client-id sigstore``)."""

from __future__ import annotations

import os
import subprocess

from devstack.test_browser_signing import (
    enroll_in_browser,
    fake_browser,
    read_user_code,
    start_sign,
    three_files,
    touch_key_at_opened_url,
    verify_all,
)

from hallmark_testing.commands import SIGSTORE, hallmark_cli
from hallmark_testing.helpers import unique_name
from judges.conftest import COSIGN
from judges.test_real_stack_signing import verify_with_cosign, verify_with_stock


def finished(process: subprocess.Popen, timeout: float = 90) -> str:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stderr


def test_hallmark_sign_through_the_browser_on_the_real_stack(real_stack, key_page, tmp_path):
    username = unique_name("browser")
    enroll_in_browser(key_page.page, real_stack.hallmark, username)
    env, url_file = fake_browser(tmp_path)
    files = three_files(tmp_path)
    process = start_sign(real_stack, files, env=env)
    touch_key_at_opened_url(key_page.page, url_file, process)
    assert "[3/3]" in finished(process)
    verify_all(real_stack.hallmark, real_stack, files, username)
    for path in files:
        accepted, said = verify_with_cosign(real_stack, path, path.with_name(path.name + ".sigstore.json"),
                                            real_stack.identity(username))
        assert accepted, said


def test_hallmark_sign_through_the_device_flow_on_the_real_stack(real_stack, key_page, tmp_path):
    page, username = key_page.page, unique_name("device")
    enroll_in_browser(page, real_stack.hallmark, username)
    files = three_files(tmp_path)
    process = start_sign(real_stack, files, "--device")
    page.goto(f"{real_stack.hallmark.url}/device")
    page.fill("#user-code", read_user_code(process))
    page.click("#continue")
    page.click("#approve")
    page.wait_for_selector("#device-result")
    finished(process)
    verify_all(real_stack.hallmark, real_stack, files, username)


def test_stock_sigstore_logs_in_at_hallmark_in_the_browser_and_signs_on_the_real_stack(real_stack, key_page,
                                                                                       tmp_path):
    username = unique_name("stock")
    enroll_in_browser(key_page.page, real_stack.hallmark, username)
    env, url_file = fake_browser(tmp_path)
    artifact = tmp_path / "stock.bin"
    artifact.write_bytes(b"stock interactive\n")
    environment = {**{k: v for k, v in os.environ.items() if k != "SIGSTORE_IDENTITY_TOKEN"}, **env}
    process = subprocess.Popen([SIGSTORE, "--trust-config", str(real_stack.trust_config), "sign", "--oidc-issuer",
                                real_stack.hallmark.url, str(artifact)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment)
    touch_key_at_opened_url(key_page.page, url_file, process)
    finished(process)
    result = hallmark_cli("verify", "--trust-config", str(real_stack.trust_config), "--identity",
                          real_stack.identity(username), "--issuer", real_stack.hallmark.url, str(artifact))
    assert result.returncode == 0, result.stdout + result.stderr


def fake_xdg_open(folder):
    """cosign opens the browser with ``xdg-open`` (not ``$BROWSER``); one on PATH that records the URL
    lets the test's Chromium visit it. Without it cosign falls back to the out-of-band flow."""
    bin_dir, url_file = folder / "bin", folder / "cosign-opened-url"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {url_file}\n')
    opener.chmod(0o755)
    return bin_dir, url_file


def test_cosign_logs_in_at_hallmark_in_the_browser_and_signs_on_the_real_stack(real_stack, key_page, tmp_path):
    username = unique_name("cosign")
    enroll_in_browser(key_page.page, real_stack.hallmark, username)
    artifact, bundle = tmp_path / "cosigned.bin", tmp_path / "cosigned.bin.sigstore.json"
    artifact.write_bytes(b"signed by cosign after a key touch\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE", "COSIGN")) and k != "DISPLAY"}
    bin_dir, url_file = fake_xdg_open(tmp_path)
    env.update(HOME=str(tmp_path), TUF_ROOT=str(tmp_path / "tuf"), PATH=f"{bin_dir}:{env['PATH']}")
    # cosign v3 refuses --oidc-issuer beside --signing-config ("cannot specify service URLs and use
    # signing config"): the issuer is the signing config's oidcUrls, which name Hallmark.
    # --oidc-disable-ambient-providers: a token file at /var/run/sigstore/cosign/oidc-token, or CI
    # credentials, would otherwise be used instead of the login.
    process = subprocess.Popen([str(COSIGN), "sign-blob", "--yes", "--oidc-client-id", "sigstore",
                                "--oidc-disable-ambient-providers", "--fulcio-auth-flow", "normal",
                                "--signing-config", str(real_stack.layout.signing_config),
                                "--trusted-root", str(real_stack.layout.trusted_root), "--bundle", str(bundle),
                                str(artifact)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    touch_key_at_opened_url(key_page.page, url_file, process)
    finished(process)
    accepted, said = verify_with_stock(real_stack, artifact, bundle, real_stack.identity(username))
    assert accepted, said
    accepted, said = verify_with_cosign(real_stack, artifact, bundle, real_stack.identity(username))
    assert accepted, said
