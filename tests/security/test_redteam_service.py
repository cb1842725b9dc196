"""Red-team findings F4, F5, F6, F8, F14 and F15, and the review's hardening list: secrets, slow clients,
shared rate limits, restores, what strangers can store, logs, headers and files.

Each test is named after its finding and failed on the code before the fix (docs/security.md).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import (
    csrf_token,
    enroll,
    make_settings,
    new_invite,
    post_json,
)
from hallmark_testing.servers import LiveServer, ServeProcess, free_port
from idp import create_app
from idp.platform import clock
from idp.platform.config import ConfigError
from idp.store import inline_sweep
from idp.store.models import AuditEvent, Challenge
from security.conftest import HttpClient

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(48)


# F4 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variable", ["HALLMARK_SECRET_KEY", "HALLMARK_KEY_PASSPHRASE"])
@pytest.mark.parametrize("value", ["change-me", "short", "a" * 64, "0123456789" * 4,
                                   "CHANGE-ME-Vq3rT8xLm2Np7Ws4Kc9Hd6Jf1Bz5Gy0Qe"])
def test_f04_weak_or_placeholder_secrets_refuse_to_start(tmp_path, variable, value):
    result = hallmark_cli("db", "upgrade", env=admin_env(tmp_path / "instance", **{variable: value}))
    assert result.returncode != 0
    assert variable in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2            # one sentence, not a crash


def test_f04_a_random_secret_is_accepted(tmp_path):
    env = admin_env(tmp_path / "instance", HALLMARK_SECRET_KEY=STRONG,
                    HALLMARK_KEY_PASSPHRASE=secrets.token_urlsafe(32))
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0


def test_f04_secret_key_from_the_environment_checked_by_the_app_factory(tmp_path, monkeypatch):
    monkeypatch.setenv("HALLMARK_SECRET_KEY", "change-me")
    with pytest.raises(ConfigError, match="HALLMARK_SECRET_KEY is refused: it contains the placeholder"):
        create_app(make_settings(tmp_path))


def test_f04_env_example_ships_no_usable_placeholder():
    values = [line.split("=", 1)[1].strip() for line in (ROOT / "deploy/.env.example").read_text().splitlines()
              if "=" in line and not line.startswith("#") and ("SECRET" in line or "PASS" in line)]
    assert values and all(v == "" for v in values)


# F5 ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    instance = tmp_path_factory.mktemp("served") / "instance"
    env = admin_env(instance, "http://127.0.0.1:1", HALLMARK_RATELIMIT_TOKEN="4 per minute")
    port = free_port()
    env["HALLMARK_ISSUER"] = f"http://127.0.0.1:{port}"
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    server = ServeProcess(env, port=port, workers=2)
    yield server
    server.stop()


def _slow_connections(port: int) -> list[socket.socket]:
    """Four clients stuck in their headers and two stuck in their bodies (one byte, then silence)."""
    conns = []
    for index in range(6):
        sock = socket.create_connection(("127.0.0.1", port))
        if index < 4:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        else:
            sock.sendall(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                         b"\r\nContent-Length: 5000\r\n\r\ngrant")
        conns.append(sock)
    return conns


def test_f05_slow_headers_and_bodies_do_not_stall_the_service(served):
    conns = _slow_connections(served.port)
    try:
        time.sleep(0.5)
        for _ in range(5):          # a stalled service never answers: the client's timeout is the check
            assert requests.get(f"{served.url}/healthz", timeout=5).ok
            time.sleep(0.3)
    finally:
        for sock in conns:
            sock.close()


def test_f05_a_silent_client_loses_its_connection(served):
    from idp.platform.gunicorn_worker import CLIENT_READ_TIMEOUT

    sock = socket.create_connection(("127.0.0.1", served.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")      # and then nothing
    sock.settimeout(CLIENT_READ_TIMEOUT + 10)
    started = time.monotonic()
    try:
        assert sock.recv(1024) == b""                                   # closed by the server
    finally:
        sock.close()
    assert time.monotonic() - started < CLIENT_READ_TIMEOUT + 8


# F6 ----------------------------------------------------------------------------------------------

def test_f06_rate_limits_hold_across_workers_and_instances(tmp_path):
    """Two ``hallmark serve`` instances on one database, requests alternating between them: the
    limit of 4 per minute lets 4 through in all, not 4 per process."""
    instance = tmp_path / "instance"
    env = admin_env(instance, "http://127.0.0.1:8080", HALLMARK_RATELIMIT_TOKEN="4 per minute")
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    first = ServeProcess(env, workers=1)
    second = ServeProcess(env, workers=1)
    try:
        statuses = [requests.post(f"{server.url}/device/authorize", data={"client_id": "sigstore"}).status_code
                    for server in [first, second] * 4]
    finally:
        first.stop()
        second.stop()
    assert statuses == [200] * 4 + [429] * 4


@pytest.fixture
def behind_proxy(tmp_path):
    server = LiveServer(tmp_path, trusted_proxies=("127.0.0.0/8",), ratelimit_login="3 per minute")
    yield server
    server.stop()


def _options_from(server, forwarded_for: str) -> int:
    client = HttpClient(server.url)
    token = csrf_token(client)
    return client.post("/login/options", json={}, headers={"X-CSRFToken": token,
                                                           "X-Forwarded-For": forwarded_for}).status_code


def test_f06_a_trusted_proxy_names_the_client(behind_proxy):
    assert [_options_from(behind_proxy, "203.0.113.5") for _ in range(4)] == [200, 200, 200, 429]
    assert _options_from(behind_proxy, "203.0.113.6") == 200                  # another person behind the proxy
    assert _options_from(behind_proxy, "203.0.113.9, 203.0.113.5") == 429     # the left part is the client's


def test_f06_without_a_trusted_proxy_forwarded_for_is_ignored(tmp_path):
    server = LiveServer(tmp_path, ratelimit_login="3 per minute")
    try:
        statuses = [_options_from(server, f"203.0.113.{n}") for n in range(4)]   # spoofed, all different
        assert statuses == [200, 200, 200, 429]
    finally:
        server.stop()


def test_f06_a_stranger_cannot_lock_a_person_out(tmp_path):
    app = create_app(make_settings(tmp_path, ratelimit_login="3 per minute"), create_schema=True)
    client = app.test_client()
    enroll(client, app, "lockme")
    stranger = app.test_client()
    for _ in range(6):
        post_json(stranger, "/login/options", {"username": "lockme"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    person = app.test_client()
    answer = post_json(person, "/login/options", {"username": "lockme"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert answer.status_code == 200 and answer.get_json()["allowCredentials"]


def test_f06_trusted_proxies_must_be_addresses():
    from idp.platform.config import Settings

    with pytest.raises(ConfigError, match="HALLMARK_TRUSTED_PROXIES"):
        Settings.from_env(env={"HALLMARK_TRUSTED_PROXIES": "proxy.example"})


# F8 ----------------------------------------------------------------------------------------------

def test_f08_restore_refuses_a_plaintext_backup_when_a_passphrase_is_set(tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    assert hallmark_cli("db", "upgrade", env=admin_env(source)).returncode == 0
    archive = tmp_path / "plain.backup"
    assert hallmark_cli("backup", str(archive), env=admin_env(source)).returncode == 0
    forged = archive.read_text().replace('"secret-key"', '"secret-key"')        # anyone could have written it
    archive.write_text(forged)
    refused = hallmark_cli("restore", str(archive),
                           env=admin_env(target, HALLMARK_KEY_PASSPHRASE=secrets.token_urlsafe(32)))
    assert refused.returncode == 1 and "only an encrypted backup is restored" in refused.stderr
    assert not (target / "secret-key").exists() or (target / "secret-key").read_text() != \
        (source / "secret-key").read_text()


def test_f08_sealed_backups_use_a_stronger_key_derivation(tmp_path):
    from idp.store import backup

    sealed = backup.seal({"format": backup.FORMAT}, "x" * 40)
    assert sealed.startswith(backup.SEALED_V2) and backup.SCRYPT_LOG2_N >= 17
    assert backup.unseal(sealed, "x" * 40) == {"format": backup.FORMAT}
    with pytest.raises(backup.BackupError, match="wrong passphrase"):
        backup.unseal(sealed, "y" * 40)


# F14 ---------------------------------------------------------------------------------------------

def test_f14_anonymous_failed_logins_write_no_audit_rows(app, client):
    from hallmark_testing.softauthn import SoftAuthenticator

    stranger = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    with app.app_context():
        before = AuditEvent.query.count()
    for _ in range(5):
        options = post_json(client, "/login/options").get_json()
        assert post_json(client, "/login/verify", {"credential": stranger.get(options)}).status_code == 400
    with app.app_context():
        assert AuditEvent.query.count() == before


def test_f14_challenges_are_bounded(app, monkeypatch):
    browser = HttpClient(app.extensions["hallmark"].issuer)
    for _ in range(20):                                     # one browser asking again and again: one row
        post_json(browser, "/login/options")
    with app.app_context():
        before = Challenge.query.count()
    for _ in range(5):
        post_json(browser, "/login/options")
    with app.app_context():
        assert Challenge.query.count() == before
    later = clock.now() + timedelta(seconds=app.extensions["hallmark"].challenge_lifetime + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    monkeypatch.setattr(inline_sweep, "_due", {})
    post_json(HttpClient(app.extensions["hallmark"].issuer), "/login/options")   # a stranger's request sweeps
    with app.app_context():
        assert Challenge.query.count() == 1


# F15 ---------------------------------------------------------------------------------------------

def test_f15_one_time_secrets_never_reach_the_access_log(tmp_path):
    instance = tmp_path / "instance"
    port = free_port()
    env = admin_env(instance, f"http://127.0.0.1:{port}", HALLMARK_ACCESS_LOG="1")
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    log = tmp_path / "access.log"
    with log.open("w") as out:
        server = ServeProcess(env, port=port, workers=1, log=out, output=out)
        try:
            secret = secrets.token_urlsafe(32)
            for path in (f"/enroll/{secret}", f"/account/email/verify/{secret}", f"/device?user_code={secret}",
                         f"/login?next=/enroll/{secret}", f"/auth/x?code={secret}&state={secret}"):
                requests.get(f"{server.url}{path}", timeout=5)
            time.sleep(0.5)
        finally:
            server.stop()
    written = log.read_text()
    assert "/enroll/[redacted]" in written and "user_code=[redacted]" in written
    assert secret not in written


def test_f15_the_development_server_log_is_redacted(caplog, server):
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        requests.get(f"{server.url}/enroll/{token}", timeout=5)
        time.sleep(0.2)
    messages = [record.getMessage() for record in caplog.records]
    assert any("/enroll/[redacted]" in m for m in messages) and not any(token in m for m in messages)


# Hardening ---------------------------------------------------------------------------------------

def test_hardening_no_store_on_personal_pages(client, app):
    enroll(client, app, f"nostore-{secrets.token_hex(3)}")
    for path in ("/account", "/login", f"/enroll/{new_invite(app)}", "/device"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert "form-action 'self'" in client.get("/login").headers["Content-Security-Policy"]


def test_hardening_host_prefixed_cookie_on_https(tmp_path):
    app = create_app(make_settings(tmp_path, issuer="https://id.example.org"))
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-") and app.config["SESSION_COOKIE_SECURE"]


def test_hardening_sqlite_file_is_private_in_an_existing_folder(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    old = os.umask(0o022)
    try:
        create_app(make_settings(tmp_path, instance_path=instance), create_schema=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((instance / "hallmark.db").stat().st_mode) == 0o600


def test_hardening_debug_server_only_on_loopback(tmp_path):
    result = hallmark_cli("serve", "--debug", "--host", "0.0.0.0", env=admin_env(tmp_path / "instance"))
    assert result.returncode == 2 and "only on a loopback address" in result.stderr


def test_hardening_slow_down_grows_the_interval(tmp_path):
    app = create_app(make_settings(tmp_path), create_schema=True)
    client = app.test_client()
    started = client.post("/device/authorize", data={"client_id": "sigstore"}).get_json()
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": started["device_code"],
             "client_id": "sigstore"}
    assert client.post("/token", data=grant).get_json()["error"] == "authorization_pending"
    assert client.post("/token", data=grant).get_json()["error"] == "slow_down"
    from idp.store.models import DeviceCode

    with app.app_context():
        assert DeviceCode.query.one().interval == started["interval"] + 5


def test_hardening_disabled_profile_does_not_say_why(tmp_path):
    from idp.people.accounts import set_disabled
    from idp.store.db import db

    app = create_app(make_settings(tmp_path), create_schema=True)
    client = app.test_client()
    enroll(client, app, "gone")
    with app.app_context():
        set_disabled("gone", True, actor="admin")
        db.session.commit()
    page = client.get("/u/gone").get_data(as_text=True)
    assert "disabled" not in page and "not active" in page
