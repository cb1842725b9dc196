"""End to end in real Chromium with a virtual security key: enroll, ``hallmark sign`` three files, verify.

Once through the browser (loopback redirect + PKCE) and once through the device flow.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from hallmark_testing.commands import SIGSTORE, hallmark_cli
from hallmark_testing.helpers import new_invite


def enroll_in_browser(page, server, username: str) -> None:
    page.goto(f"{server.url}/enroll/{new_invite(server.app)}")
    page.fill("#username", username)
    page.click("#register")
    page.wait_for_url(f"{server.url}/account")


def three_files(folder: Path) -> list[Path]:
    files = []
    for i in range(3):
        path = folder / f"artifact-{i}.bin"
        path.write_bytes(os.urandom(64))
        files.append(path)
    return files


def start_sign(stack, files, *extra: str, env: dict | None = None) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("SIGSTORE_IDENTITY_TOKEN", "DISPLAY")}
    environment.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "idp.cli", "sign", "--trust-config", str(stack.trust_config),
                             *extra, *map(str, files)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment)


def read_user_code(process: subprocess.Popen) -> str:
    """The code ``hallmark sign --device`` asks the person to type."""
    line, deadline = "", time.monotonic() + 30
    while "enter the code" not in line:
        line = process.stderr.readline()
        assert line and time.monotonic() < deadline, process.communicate()
    return re.search(r"enter the code ([A-Z]{4}-[A-Z]{4})", line).group(1)


def signed_and_verified(process, hallmark, stack, files, username):
    """The signing process finished with a progress line per file, and every bundle verifies."""
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "[3/3]" in stderr
    verify_all(hallmark, stack, files, username)


def verify_all(hallmark, stack, files, username):
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                          f"{hallmark.url}/u/{username}", "--issuer", hallmark.url, *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK:") == 3


def fake_browser(folder: Path) -> tuple[dict, Path]:
    """A ``$BROWSER`` that records the URL it is asked to open, for the test's Chromium to visit."""
    url_file, opener = folder / "opened-url", folder / "open-browser"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {url_file}\n')
    opener.chmod(0o755)
    return {"BROWSER": f"{opener} %s"}, url_file


def touch_key_at_opened_url(page, url_file: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while not url_file.exists() or not url_file.read_text():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    page.goto(url_file.read_text())            # the client's loopback server redirects to Hallmark's /authorize
    page.click("#login")                       # a fresh key touch for this signing request


def test_sign_through_the_browser_loopback_flow(hallmark, stack, key_page, tmp_path):
    page = key_page.page
    enroll_in_browser(page, hallmark, "browsy")
    env, url_file = fake_browser(tmp_path)
    files = three_files(tmp_path)
    process = start_sign(stack, files, env=env)
    touch_key_at_opened_url(page, url_file, process)
    signed_and_verified(process, hallmark, stack, files, "browsy")


def test_sign_through_the_device_flow(hallmark, stack, key_page, tmp_path):
    page = key_page.page
    enroll_in_browser(page, hallmark, "devicey")
    files = three_files(tmp_path)
    process = start_sign(stack, files, "--device")
    user_code = read_user_code(process)
    page.goto(f"{hallmark.url}/device")
    page.fill("#user-code", user_code)
    page.click("#continue")
    page.click("#approve")
    page.wait_for_selector("#device-result")
    assert page.text_content("#device-result") == "Approved"
    signed_and_verified(process, hallmark, stack, files, "devicey")


def test_denied_device_login_is_reported(hallmark, stack, key_page, tmp_path):
    page = key_page.page
    files = three_files(tmp_path)
    process = start_sign(stack, files, "--device")
    user_code = read_user_code(process)
    page.goto(f"{hallmark.url}/device?user_code={user_code}")
    page.click("#deny")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "denied" in stderr
    assert not any(f.with_name(f.name + ".sigstore.json").exists() for f in files)


def test_stock_sigstore_interactive_sign_with_hallmark(hallmark, stack, key_page, tmp_path):
    """``sigstore --trust-config F sign --oidc-issuer URL FILE``, unpatched, logging in at Hallmark."""
    page = key_page.page
    enroll_in_browser(page, hallmark, "stockbrowser")
    env, url_file = fake_browser(tmp_path)
    artifact = tmp_path / "stock.bin"
    artifact.write_bytes(b"stock interactive\n")
    environment = {**{k: v for k, v in os.environ.items() if k != "SIGSTORE_IDENTITY_TOKEN"}, **env}
    process = subprocess.Popen([SIGSTORE, "--trust-config", str(stack.trust_config), "sign", "--oidc-issuer",
                                hallmark.url, str(artifact)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment)
    touch_key_at_opened_url(page, url_file, process)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity",
                          f"{hallmark.url}/u/stockbrowser", "--issuer", hallmark.url, str(artifact))
    assert result.returncode == 0, result.stdout
