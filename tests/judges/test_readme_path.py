"""The README's "Self-hosting a complete Sigstore", command by command: ``hallmark stack init`` and
``hallmark stack up`` beside a running Hallmark, then trust over its TUF repository only (a root
file), and sign and verify with ``hallmark``, stock sigstore-python and cosign."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hallmark_testing.commands import SIGSTORE, admin_env, hallmark_cli, read_until
from hallmark_testing.helpers import enroll, sigstore_token
from hallmark_testing.servers import LiveServer, consecutive_free_ports
from judges.conftest import cosign, one_tsa_per_machine, token_file

PASSPHRASE = "Rt7mQ2-vX9pLk4Zs8WnB3cYh6DfG1jEa5uK0oTqI"


@pytest.fixture
def self_hosted(tmp_path):
    """Hallmark serving an instance folder, and that folder's stack up (as two shells would)."""
    with one_tsa_per_machine():
        hallmark = LiveServer(tmp_path / "idp")
        instance = hallmark.app.extensions["hallmark"].instance_path
        env = admin_env(instance, hallmark.url, HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
        done = hallmark_cli("stack", "init", "--base-port", str(consecutive_free_ports()), env=env)
        assert done.returncode == 0, done.stderr
        up = subprocess.Popen([sys.executable, "-m", "idp.cli", "stack", "up"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        read_until(up, "Press Ctrl-C")
        yield hallmark, instance, env
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=60)
        hallmark.stop()


def machine(tmp_path) -> dict:
    """A signer's machine: its own TUF caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE", "HALLMARK_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))
    return env


def test_zero_to_first_signature_with_only_the_published_root(self_hosted, tmp_path):
    hallmark, instance, _ = self_hosted
    root, env, tuf = instance / "tuf" / "root.json", machine(tmp_path), f"{hallmark.url}/tuf"
    client = hallmark.app.test_client()
    authenticator = enroll(client, hallmark.app, "alice")

    def token() -> str:
        return sigstore_token(client, authenticator)[0].get_json()["access_token"]

    artifact = tmp_path / "release.tar.gz"
    artifact.write_bytes(b"the first release\n")
    assert hallmark_cli("trust", hallmark.url, str(root), env=env).returncode == 0
    signed = hallmark_cli("sign", "--idp", hallmark.url, "--identity-token", token(), str(artifact), env=env)
    assert signed.returncode == 0, signed.stderr
    verified = hallmark_cli("verify", "--idp", hallmark.url, "--identity", f"{hallmark.url}/u/alice", "--issuer",
                            hallmark.url, str(artifact), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    def stock(*args: str):
        return subprocess.run([SIGSTORE, "--instance", tuf, *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    assert stock("trust-instance", str(root)).returncode == 0
    second = tmp_path / "second.tar.gz"
    second.write_bytes(b"signed by the stock client over TUF\n")
    done = stock("sign", "--identity-token", token(), str(second))
    assert done.returncode == 0, done.stderr
    for path in (artifact, second):
        done = stock("verify", "identity", "--cert-identity", f"{hallmark.url}/u/alice", "--cert-oidc-issuer",
                     hallmark.url, str(path))
        assert done.returncode == 0, done.stderr

    stack = instance / "stack"
    third = tmp_path / "third.tar.gz"
    third.write_bytes(b"signed by cosign with the stack's files\n")
    done = cosign("sign-blob", "--yes", "--identity-token", str(token_file(tmp_path, token())), "--signing-config",
                  str(stack / "signing_config.v0.2.json"), "--trusted-root", str(stack / "trusted_root.json"),
                  "--bundle", f"{third}.sigstore.json", str(third), home=tmp_path)
    assert done.returncode == 0, done.stderr
    verified = hallmark_cli("verify", "--idp", hallmark.url, "--identity", f"{hallmark.url}/u/alice", "--issuer",
                            hallmark.url, str(third), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
