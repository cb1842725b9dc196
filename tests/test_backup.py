"""``hallmark backup`` / ``restore``: round trips on SQLite and PostgreSQL, encrypted or not."""

from __future__ import annotations

import os
import stat

import pytest

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import enroll, sigstore_token


def cli(instance, database_url, *args, passphrase=None):
    settings = {"HALLMARK_DATABASE_URL": database_url, "HALLMARK_KEY_PASSPHRASE": passphrase}
    return hallmark_cli(*args, env=admin_env(instance, "http://localhost", **{k: v for k, v in settings.items() if v}))


def fresh_database(request, database_url):
    return request.getfixturevalue("postgres").database() if database_url else ""


@pytest.mark.parametrize("passphrase", [None, "Tr7-bq2Lx9-Vw4mZ-pK8sN-c3HdR-y6FjT"])
def test_round_trip(tmp_path, request, database_url, passphrase):
    from hallmark_testing.helpers import make_settings
    from idp import create_app

    source = tmp_path / "source"
    assert cli(source, database_url, "db", "upgrade", passphrase=passphrase).returncode == 0
    app = create_app(make_settings(tmp_path / "src", instance_path=source, database_url=database_url,
                                   key_passphrase=passphrase))
    client = app.test_client()
    response, _ = sigstore_token(client, enroll(client, app, "backed"))
    assert response.status_code == 200
    jwks = client.get("/.well-known/jwks.json").get_json()

    archive = tmp_path / "hallmark.backup"
    made = cli(source, database_url, "backup", str(archive), passphrase=passphrase)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert (b"backed" in archive.read_bytes()) is (passphrase is None)
    again = cli(source, database_url, "backup", str(archive), passphrase=passphrase)
    assert again.returncode == 1 and "already exists" in again.stderr

    target, target_db = tmp_path / "target", fresh_database(request, database_url)
    if passphrase:
        refused = cli(target, target_db, "restore", str(archive))
        assert refused.returncode == 1 and "encrypted" in refused.stderr
        wrong = cli(target, target_db, "restore", str(archive), passphrase="Wq4-Zr8Tn-Lx2Pc-Vb6Md-Hy9Jk-Fs3Gw")
        assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    restored = cli(target, target_db, "restore", str(archive), passphrase=passphrase)
    assert restored.returncode == 0, restored.stderr
    assert "restored 1 users, 1 keys, 2 signing keys" in restored.stdout

    restored_app = create_app(make_settings(tmp_path / "dst", instance_path=target, database_url=target_db,
                                            key_passphrase=passphrase))
    restored_client = restored_app.test_client()
    assert restored_client.get("/.well-known/jwks.json").get_json() == jwks
    assert restored_client.get("/u/backed").status_code == 200
    from idp.store.models import AuditEvent

    with restored_app.app_context():
        assert AuditEvent.query.filter_by(event="user.enrolled").count() == 1
        from idp.oauth import signing_keys as keys

        keys._private_cache.clear()
        assert keys.active_key(restored_app.extensions["hallmark"]).kid in {k["kid"] for k in jwks["keys"]}
    twice = cli(target, target_db, "restore", str(archive), passphrase=passphrase)
    assert twice.returncode == 1 and "not empty" in twice.stderr


def test_not_a_backup(tmp_path):
    junk = tmp_path / "junk"
    junk.write_text("hello")
    result = cli(tmp_path / "i", "", "restore", str(junk))
    assert result.returncode == 1 and "not a Hallmark backup" in result.stderr
