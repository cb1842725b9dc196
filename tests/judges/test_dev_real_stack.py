"""``hallmark dev`` runs the real stack when its binaries are built (``--stack auto``), says so, and
stops every server on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests

from hallmark_testing.commands import read_until
from hallmark_testing.servers import consecutive_free_ports, free_port
from judges.conftest import one_tsa_per_machine


def test_dev_runs_the_real_stack_when_it_is_built(tmp_path):
    with one_tsa_per_machine():
        dev_with_the_real_stack(tmp_path)


def dev_with_the_real_stack(tmp_path):
    port, stack_port = free_port(), consecutive_free_ports()
    env = {**os.environ, "HALLMARK_INSTANCE": str(tmp_path / "instance")}
    env.pop("HALLMARK_ISSUER", None)
    env.pop("HALLMARK_DEV_STACK", None)
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "dev", "--port", str(port), "--stack-port",
                                str(stack_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        output = read_until(process)
        assert "the real Sigstore stack (Fulcio CA, TesseraCT, Rekor v2, timestamp authority" in output, output
        trust = tmp_path / "instance" / "stack" / "trust_config.json"
        assert f"hallmark sign --trust-config {trust}" in output
        assert requests.get(f"http://127.0.0.1:{stack_port}/api/v2/configuration", timeout=5).ok      # Fulcio
        assert requests.get(f"http://127.0.0.1:{stack_port + 2}/healthz", timeout=5).ok              # Rekor v2
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0 and "stopped" in rest, rest
    for url in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{stack_port}/", f"http://127.0.0.1:{stack_port + 3}/"):
        try:
            requests.get(url, timeout=2)
            raise AssertionError(f"{url} still answers after Ctrl-C")
        except requests.ConnectionError:
            pass
