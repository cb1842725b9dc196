"""HALLMARK_HARDWARE_BOUND_ONLY: synced passkeys (backup-eligible credentials) are refused at enrollment
and when adding a key; security keys are accepted; off by default."""

from __future__ import annotations

import pytest

from hallmark_testing.helpers import make_settings, new_invite, post_json
from hallmark_testing.softauthn import UP, UV, SoftAuthenticator
from idp import create_app
from idp.store.models import AuditEvent, User

BACKUP_ELIGIBLE, BACKED_UP = 0x08, 0x10


def enroll_with(app, username: str, flags: int):
    client = app.test_client()
    auth = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": username}).get_json()
    return post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options, flags=flags)})


@pytest.fixture
def strict_app(tmp_path):
    return create_app(make_settings(tmp_path, hardware_bound_only=True), create_schema=True)


def test_a_synced_passkey_is_refused_where_only_hardware_bound_keys_are_accepted(strict_app):
    refused = enroll_with(strict_app, "synced", UP | UV | BACKUP_ELIGIBLE | BACKED_UP)
    assert refused.status_code == 400 and "only hardware-bound security keys" in refused.get_json()["error_description"]
    with strict_app.app_context():
        assert User.query.filter_by(username="synced").count() == 0
        assert AuditEvent.query.filter_by(event="credential.register_failed").count() == 1
    assert enroll_with(strict_app, "bound", UP | UV).status_code == 200


def test_by_default_a_synced_passkey_is_welcome(app):
    assert enroll_with(app, "syncer", UP | UV | BACKUP_ELIGIBLE | BACKED_UP).status_code == 200


def test_the_setting_reads_from_the_environment():
    from idp.platform.config import Settings

    env = {"HALLMARK_ISSUER": "http://localhost:8080", "HALLMARK_HARDWARE_BOUND_ONLY": "1"}
    assert Settings.from_env(env=env).hardware_bound_only is True
    assert Settings.from_env(env={"HALLMARK_ISSUER": "http://localhost:8080"}).hardware_bound_only is False
