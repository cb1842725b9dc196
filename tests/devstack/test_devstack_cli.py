"""``hallmark devstack`` as a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from hallmark_testing.servers import free_port


def _env(tmp_path) -> dict:
    return {**os.environ, "HALLMARK_INSTANCE": str(tmp_path / "instance"), "HALLMARK_ISSUER": "http://localhost:8080"}


def test_devstack_prints_the_trust_config_path_and_serves(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "devstack", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(tmp_path))
    try:
        lines = []
        while not lines or not lines[-1].strip().endswith("trust_config.json"):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        path = Path(lines[-1].strip())
        assert path.exists() and path.parent == tmp_path / "instance" / "devstack"
        assert "NOT a production CA" in "".join(lines)
        deadline = time.monotonic() + 10
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/api/v1/log", timeout=2).json()["treeSize"] == 0
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_devstack_refuses_non_loopback_and_bad_config(tmp_path):
    result = subprocess.run([sys.executable, "-m", "idp.cli", "devstack", "--host", "0.0.0.0"],
                            capture_output=True, text=True, env=_env(tmp_path), timeout=30)
    assert result.returncode == 1 and "loopback" in result.stderr
    config = tmp_path / "fulcio.yaml"
    config.write_text("OIDCIssuers:\n  http://x:\n    Type: bogus\n")
    result = subprocess.run([sys.executable, "-m", "idp.cli", "devstack", "--config", str(config)],
                            capture_output=True, text=True, env=_env(tmp_path), timeout=30)
    assert result.returncode == 1 and "Type must be one of" in result.stderr and "Traceback" not in result.stderr


def test_yaml_fulcio_config_is_accepted():
    from idp.devstack.fulcio_config import FulcioConfig

    config = FulcioConfig.parse("OIDCIssuers:\n  https://id.example.org:\n    IssuerURL: https://id.example.org\n"
                                "    ClientID: sigstore\n    Type: uri\n    SubjectDomain: https://id.example.org\n")
    assert config.issuers["https://id.example.org"].type == "uri"
