"""The signing client under attack (findings P1-P10): real bundles from the devstack, junk bundles,
hostile file names, symlinks, a log that lies and identity providers that answer nonsense.

Each ``test_pNN_*`` failed on the code before its fix.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from flask import Flask, Response, request
from werkzeug.serving import make_server

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.servers import free_port


class Scripted:
    """A tiny HTTP server on localhost whose answers the test writes (a lying log, a broken IdP)."""

    def __init__(self, routes: dict):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        app = Flask("scripted")
        for rule, handler in routes.items():
            app.add_url_rule(rule, rule, handler, methods=["GET", "POST"])
        self.server = make_server("localhost", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def signed_twice(hallmark, stack, token_for, tmp_path_factory):
    """A file with bundles from alice and bob, and a policy needing both."""
    folder = tmp_path_factory.mktemp("attacked")
    artifact = folder / "pkg-1.0.tar.gz"
    artifact.write_bytes(b"attacked release\n")
    for name in ("alice", "bob"):
        result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                              token_for(f"{name}-{folder.name[-4:]}"), "--label", name, str(artifact))
        assert result.returncode == 0, result.stderr
    identities = ", ".join(f'"{hallmark.url}/u/{n}-{folder.name[-4:]}"' for n in ("alice", "bob"))
    policy = folder / "signers.toml"
    policy.write_text(f'[[rule]]\nartifacts = ["*.tar.gz"]\nissuer = "{hallmark.url}"\n'
                      f"identities = [{identities}]\nthreshold = 2\n")
    return artifact, policy


def verify_policy(stack, policy, *files, timeout=60):
    return subprocess.run([sys.executable, "-m", "idp.cli", "verify", "--trust-config", str(stack.trust_config),
                           "--policy", str(policy), *map(str, files)], capture_output=True, text=True, timeout=timeout)


def bundle_of(artifact: Path, label: str) -> dict:
    return json.loads(artifact.with_name(f"{artifact.name}.{label}.sigstore.json").read_text())


# P4 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("label,change", [
    ("year", lambda b: b["verificationMaterial"]["tlogEntries"][0].update(integratedTime="99999999999999")),
    ("index", lambda b: b["verificationMaterial"]["tlogEntries"][0].update(logIndex="9" * 40)),
    ("checkpoint", lambda b: b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"].update(
        envelope=b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
        .rsplit(" ", 1)[0] + " !!!not-base64!!!\n")),
])
def test_p04_one_junk_bundle_does_not_crash_verification(stack, signed_twice, label, change):
    artifact, policy = signed_twice
    junk = bundle_of(artifact, "alice")
    change(junk)
    path = artifact.with_name(f"{artifact.name}.junk-{label}.sigstore.json")
    path.write_text(json.dumps(junk))
    try:
        result = verify_policy(stack, policy, artifact)
        assert result.returncode == 0, result.stdout + result.stderr           # alice and bob still count
        assert "Traceback" not in result.stderr and f"rejected: {path}" in result.stdout
        digest = hallmark_cli("digest", str(path))
        assert "Traceback" not in digest.stderr and digest.returncode in (0, 1)
    finally:
        path.unlink()


def test_p04_a_fifo_or_dev_zero_named_like_a_bundle_is_refused(stack, signed_twice):
    artifact, policy = signed_twice
    fifo = artifact.with_name(f"{artifact.name}.fifo.sigstore.json")
    zero = artifact.with_name(f"{artifact.name}.zero.sigstore.json")
    os.mkfifo(fifo)
    zero.symlink_to("/dev/zero")
    try:
        result = verify_policy(stack, policy, artifact, timeout=60)
        assert result.returncode == 0 and "not a regular file" in result.stdout
        assert hallmark_cli("digest", str(zero)).returncode == 1
    finally:
        fifo.unlink()
        zero.unlink()


# P5 ----------------------------------------------------------------------------------------------

def test_p05_file_names_cannot_inject_lines_or_escapes(stack, signed_twice):
    artifact, policy = signed_twice
    forged = artifact.with_name(f"{artifact.name}.x\nOK: {artifact.name}: 2 of 2 required signers\n\x1b[2J.sigstore.json")
    forged.write_text("{}")
    try:
        result = verify_policy(stack, policy, artifact)
        lines = result.stdout.splitlines()
        assert sum(line.startswith("OK:") for line in lines) == 1          # the real verdict only
        assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout and "\\nOK:" in result.stdout
    finally:
        forged.unlink()


# P6 ----------------------------------------------------------------------------------------------

def test_p06_sign_never_writes_through_a_symlink(stack, token_for, tmp_path):
    artifact = tmp_path / "linked.txt"
    artifact.write_text("to sign\n")
    victim = tmp_path / "victim.txt"
    bundle = tmp_path / "linked.txt.sigstore.json"
    bundle.symlink_to(victim)                                              # dangling
    token = token_for("linker")
    refused = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token,
                           str(artifact))
    assert refused.returncode == 1 and "already exists" in refused.stderr and not victim.exists()
    victim.write_text("precious\n")
    replaced = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token,
                            "--overwrite", str(artifact))
    assert replaced.returncode == 0, replaced.stderr
    assert victim.read_text() == "precious\n"                               # the link's target is untouched
    assert not bundle.is_symlink() and json.loads(bundle.read_text())["mediaType"]
    assert not list(tmp_path.glob(".*.tmp"))                                # nothing half-written left behind


# P7 ----------------------------------------------------------------------------------------------

def _snake(value):
    if isinstance(value, dict):
        return {"".join(f"_{c.lower()}" if c.isupper() else c for c in k): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def test_p07_digest_of_snake_case_and_dsse_bundles(stack, signed_twice, token_for, tmp_path):
    artifact, _ = signed_twice
    expected = hashlib.sha256(artifact.read_bytes()).hexdigest()
    snake = tmp_path / "snake.sigstore.json"
    snake.write_text(json.dumps(_snake(bundle_of(artifact, "alice"))))
    assert hallmark_cli("digest", str(snake)).stdout.strip() == f"sha256:{expected}"
    # A DSSE bundle around an in-toto statement (the devstack's log takes only hashedrekord entries, so the
    # envelope is put in a real bundle's place: `hallmark digest` reads, it does not verify).
    dsse_bundle = bundle_of(artifact, "alice")
    signature = dsse_bundle.pop("messageSignature")["signature"]
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://example.org/p",
                 "subject": [{"name": artifact.name, "digest": {"sha256": expected}}], "predicate": {}}
    dsse_bundle["dsseEnvelope"] = {"payload": base64.b64encode(json.dumps(statement).encode()).decode(),
                                   "payloadType": "application/vnd.in-toto+json",
                                   "signatures": [{"sig": signature, "keyid": ""}]}
    (tmp_path / "dsse.sigstore.json").write_text(json.dumps(dsse_bundle))
    dsse = hallmark_cli("digest", str(tmp_path / "dsse.sigstore.json"))
    assert dsse.returncode == 0 and dsse.stdout.split() == [f"sha256:{expected}", artifact.name]
    empty = json.loads((tmp_path / "dsse.sigstore.json").read_text())
    statement = json.loads(base64.b64decode(empty["dsseEnvelope"]["payload"]))
    statement["subject"] = []
    empty["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (tmp_path / "empty.sigstore.json").write_text(json.dumps(empty))
    refused = hallmark_cli("digest", str(tmp_path / "empty.sigstore.json"))
    assert refused.returncode == 1 and "names no subject" in refused.stderr and "sha256:" not in refused.stdout


# P9 ----------------------------------------------------------------------------------------------

def _lying_log(stack, tamper) -> Scripted:
    """A Rekor in front of the devstack's that changes its answers with ``tamper``."""
    def entries():
        reply = requests.post(f"{stack.url}/api/v1/log/entries", data=request.get_data(),
                              headers={"Content-Type": "application/json"}, timeout=10)
        return Response(tamper(reply.json()), status=reply.status_code, mimetype="application/json")
    return Scripted({"/api/v1/log/entries": entries})


def _trust_config_via(stack, log: Scripted, folder: Path) -> Path:
    config = json.loads(Path(stack.trust_config).read_text())
    for service in config["signingConfig"]["rekorTlogUrls"]:
        service["url"] = log.url
    path = folder / "lying_trust_config.json"
    path.write_text(json.dumps(config))
    return path


def _bump_time(body):
    entry = next(iter(body.values()))
    entry["integratedTime"] += 1                          # the entry no longer matches its signed timestamp
    return json.dumps(body)


@pytest.mark.parametrize("tamper,message", [(_bump_time, "does not verify"),
                                            (lambda body: "{}", "malformed answer")])
def test_p09_sign_refuses_a_log_entry_that_does_not_verify(stack, token_for, tmp_path, tamper, message):
    log = _lying_log(stack, tamper)
    try:
        artifact = tmp_path / "lied.txt"
        artifact.write_text("to sign\n")
        result = hallmark_cli("sign", "--trust-config", str(_trust_config_via(stack, log, tmp_path)),
                              "--identity-token", token_for(f"lied-{secrets.token_hex(3)}"), str(artifact))
    finally:
        log.stop()
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lied.txt.sigstore.json").exists()


@pytest.mark.parametrize("answer", [lambda: Response("{}", mimetype="application/json"),
                                    lambda: Response("<html>nope</html>", mimetype="text/html"),
                                    lambda: Response(json.dumps({"device_code": "d", "user_code": "U",
                                                                 "verification_uri": "http://localhost/d",
                                                                 "interval": -1}), mimetype="application/json")])
def test_p09_malformed_device_flow_answers_are_one_sentence(stack, tmp_path, answer):
    def discovery():
        return {"issuer": idp.url, "device_authorization_endpoint": f"{idp.url}/device",
                "token_endpoint": f"{idp.url}/token"}
    idp = Scripted({"/.well-known/openid-configuration": discovery, "/device": answer})
    try:
        artifact = tmp_path / "device.txt"
        artifact.write_text("x\n")
        result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--device", "--issuer", idp.url,
                              str(artifact))
    finally:
        idp.stop()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# Options that were silently ignored ------------------------------------------------------------

@pytest.mark.parametrize("extra,message", [
    (["--identity", "x", "--issuer", "y", "--policy", "p.toml", "f"], "do not give --identity or --issuer"),
    (["--digest", "sha256:" + "0" * 64, "--bundle", "a", "--bundle", "b", "--identity", "x", "--issuer", "y"],
     "give --bundle once"),
    (["--identity", "x", "--issuer", "y", "--bundle", "a", "--bundle", "b", "f"], "at most one per FILE"),
])
def test_ignored_options_are_refused(stack, extra, message):
    result = hallmark_cli("verify", "--trust-config", str(stack.trust_config), *extra)
    assert result.returncode == 2 and message in result.stderr
