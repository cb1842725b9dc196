"""The ``hallmark`` command, run as a subprocess the way an administrator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hallmark_testing.commands import admin_env, hallmark_cli


def run(tmp_path, *args, env=None):
    return hallmark_cli(*args, env=admin_env(tmp_path / "instance", **(env or {})))


def test_invite_create_prints_link_last(tmp_path):
    result = run(tmp_path, "invite", "create", "--admin")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("http://localhost:8080/enroll/") and len(last) > 60


def test_keys_list_and_rotate(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    before = run(tmp_path, "keys", "list").stdout
    assert "active" in before and "next" in before
    next_kid = [line.split()[0] for line in before.splitlines() if " next " in line][0]
    assert next_kid in run(tmp_path, "keys", "rotate").stdout
    after = run(tmp_path, "keys", "list").stdout
    assert "retiring" in after and f"{next_kid}  active" in after


def test_client_add(tmp_path):
    result = run(tmp_path, "client", "add", "web", "--redirect-uri", "https://app.example/cb")
    assert result.returncode == 0 and "client secret" in result.stdout
    duplicate = run(tmp_path, "client", "add", "web", "--redirect-uri", "https://app.example/cb")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad = run(tmp_path, "client", "add", "web2", "--redirect-uri", "http://app.example/cb")
    assert bad.returncode == 1 and "https://" in bad.stderr and "Traceback" not in bad.stderr


def test_client_rotate_secret(tmp_path):
    first = run(tmp_path, "client", "add", "web", "--redirect-uri", "https://app.example/cb").stdout.split()[-1]
    rotated = run(tmp_path, "client", "rotate-secret", "web")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.split()[-1]
    assert second != first and len(second) >= 43 and "the old one no longer works" in rotated.stdout
    public = run(tmp_path, "client", "rotate-secret", "sigstore")
    assert public.returncode == 1 and "is a public client" in public.stderr and "Traceback" not in public.stderr
    assert run(tmp_path, "client", "rotate-secret", "ghost").returncode == 1


def test_fulcio_config(tmp_path):
    result = run(tmp_path, "fulcio-config")
    config = json.loads(result.stdout)["OIDCIssuers"]["http://localhost:8080"]
    assert config == {"IssuerURL": "http://localhost:8080", "ClientID": "sigstore", "Type": "uri",
                      "SubjectDomain": "http://localhost:8080"}
    refused = run(tmp_path, "fulcio-config", env={"HALLMARK_SUBJECT_DOMAIN": "http://evil.net"})
    assert refused.returncode == 1 and "Fulcio would refuse" in refused.stderr


@pytest.mark.parametrize("env", [{"HALLMARK_ISSUER": "http://id.example.org"}, {"HALLMARK_IDENTITY": "x"}])
def test_configuration_errors_exit_2_without_traceback(tmp_path, env):
    result = run(tmp_path, "invite", "create", env=env)
    assert result.returncode == 2 and "configuration error" in result.stderr and "Traceback" not in result.stderr


def test_serve_prints_the_first_admin_link_and_serves(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = {**os.environ, "HALLMARK_INSTANCE": str(tmp_path / "instance"),
                   "HALLMARK_ISSUER": f"http://localhost:{port}"}
    server = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve", "--port", str(port), "--workers", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openid-configuration") as r:
                    assert json.load(r)["issuer"] == f"http://localhost:{port}"
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"http://localhost:{port}/enroll/" in output


def test_recovery_link_is_audited_for_the_user(tmp_path):
    import sqlite3

    missing = run(tmp_path, "invite", "create", "--recover", "nobody")
    assert missing.returncode == 1 and "no active account named 'nobody'" in missing.stderr
    from idp import create_app
    from idp.platform.config import Settings
    from idp.store.db import db
    from idp.store.models import User

    app = create_app(Settings.from_env(env={"HALLMARK_INSTANCE": str(tmp_path / "instance"),
                                            "HALLMARK_ISSUER": "http://localhost:8080"}))
    with app.app_context():
        db.session.add(User(username="lost", webauthn_user_id=b"h" * 32))
        db.session.commit()
    result = run(tmp_path, "invite", "create", "--recover", "lost")
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("http://localhost:8080/enroll/")
    rows = sqlite3.connect(tmp_path / "instance" / "hallmark.db").execute(
        "SELECT event, security FROM audit_events JOIN users ON users.id = audit_events.user_id "
        "WHERE users.username = 'lost'").fetchall()
    assert rows == [("account.recovery_link_created", 1)]


def test_read_only_commands_do_not_migrate(tmp_path):
    """keys list and backup describe the database as it is: on one without a schema they refuse and say
    what to do, and they leave it without a schema."""
    for args in (("keys", "list"), ("backup", str(tmp_path / "backup.json"))):
        result = run(tmp_path, *args)
        assert result.returncode == 1 and "run `hallmark db upgrade` first" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert run(tmp_path, "keys", "rotate").returncode == 0       # a command that changes data migrates
    assert "active" in run(tmp_path, "keys", "list").stdout
