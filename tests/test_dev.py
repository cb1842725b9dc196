"""``hallmark dev`` (what ``make run`` runs): both servers up, an invitation, next steps, clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests

from hallmark_testing.commands import read_until
from hallmark_testing.servers import free_port


def test_dev_starts_both_prints_next_steps_and_stops_cleanly(tmp_path):
    port, stack_port = free_port(), free_port()
    env = {**os.environ, "HALLMARK_INSTANCE": str(tmp_path / "instance")}
    env.pop("HALLMARK_ISSUER", None)
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "dev", "--stack", "stand-in", "--port", str(port), "--stack-port",
                                str(stack_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        output = read_until(process)
        assert f"http://localhost:{port}/enroll/" in output and "first administrator" in output
        assert "hallmark sign --trust-config" in output and "hallmark verify --trust-config" in output
        assert requests.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=5).ok
        assert requests.get(f"http://127.0.0.1:{stack_port}/api/v1/log", timeout=5).ok
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=30)[0]
    assert process.returncode == 0 and "stopped" in rest
    for url in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{stack_port}/"):
        try:
            requests.get(url, timeout=2)
            raise AssertionError(f"{url} still answers after Ctrl-C")
        except requests.ConnectionError:
            pass


def test_dev_says_it_runs_the_stand_in_when_the_real_stack_is_not_built(tmp_path):
    port, stack_port = free_port(), free_port()
    env = {**os.environ, "HALLMARK_INSTANCE": str(tmp_path / "instance"), "HALLMARK_SIGSTORE_BIN": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    env.pop("HALLMARK_ISSUER", None)
    env.pop("HALLMARK_DEV_STACK", None)
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "dev", "--port", str(port), "--stack-port",
                                str(stack_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        output = read_until(process)
        assert "the development Sigstore stand-in (not a CA; 'make sigstore-bins' builds the real one)" in output
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
