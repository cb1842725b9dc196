"""Settings: defaults, derivation from the issuer, and clear refusals."""

from __future__ import annotations

import os
import stat

import pytest

from hallmark_testing.helpers import make_settings
from idp import create_app
from idp.people.identity import IdentityConfigError, fulcio_config
from idp.platform.config import ConfigError, Settings


def test_defaults(tmp_path):
    s = Settings.from_env(env={"HALLMARK_INSTANCE": str(tmp_path)})
    assert s.issuer == "http://localhost:8080" and s.rp_id == "localhost"
    assert s.origin == "http://localhost:8080" and s.identity_mode == "uri"
    assert s.subject_domain == "http://localhost:8080" and s.token_lifetime == 600
    assert s.database_url == f"sqlite:///{tmp_path}/hallmark.db"


def test_https_issuer_derives_rp_and_origin():
    s = Settings.from_env(env={"HALLMARK_ISSUER": "https://id.example.org"})
    assert (s.rp_id, s.origin, s.subject_domain) == ("id.example.org", "https://id.example.org",
                                                    "https://id.example.org")


@pytest.mark.parametrize("env,message", [
    ({"HALLMARK_ISSUER": "http://id.example.org"}, "non-loopback"),
    ({"HALLMARK_ISSUER": "https://id.example.org/"}, "must not end with '/'"),
    ({"HALLMARK_ISSUER": "ftp://x"}, r"http\(s\) URL"),
    ({"HALLMARK_IDENTITY": "email-ish"}, "HALLMARK_IDENTITY"),
    ({"HALLMARK_TOKEN_LIFETIME": "ten"}, "positive number"),
    ({"HALLMARK_TOKEN_LIFETIME": "86400"}, "at most 3600"),
    ({"HALLMARK_ISSUER": "https://id.example.org", "HALLMARK_RP_ID": "other.org"}, "parent domain"),
])
def test_invalid_settings_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env=env)


def test_secrets_are_generated_0600_and_keys_stored_encrypted(tmp_path, database_url):
    from idp.store.models import SigningKey

    app = create_app(make_settings(tmp_path, database_url=database_url), create_schema=True)
    instance = app.extensions["hallmark"].instance_path
    for name in ("secret-key", "key-passphrase"):
        assert stat.S_IMODE(os.stat(instance / name).st_mode) == 0o600
    with app.app_context():
        pems = [k.private_pem for k in SigningKey.query.all()]
    assert len(pems) == 2 and all(b"ENCRYPTED PRIVATE KEY" in pem for pem in pems)
    again = create_app(make_settings(tmp_path, database_url=database_url), create_schema=True)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_passphrase_protects_keys_at_rest(tmp_path, database_url):
    from idp.oauth import signing_keys as keys

    app = create_app(make_settings(tmp_path, key_passphrase="correct horse", database_url=database_url),
                     create_schema=True)
    assert not (app.extensions["hallmark"].instance_path / "key-passphrase").exists()
    with app.app_context():
        assert keys.active_key(app.extensions["hallmark"]).kid
    keys._private_cache.clear()
    wrong = create_app(make_settings(tmp_path, key_passphrase="wrong", database_url=database_url),
                       create_schema=True)
    with wrong.app_context(), pytest.raises(keys.SigningKeyError, match="HALLMARK_KEY_PASSPHRASE"):
        keys.active_key(wrong.extensions["hallmark"])


def test_fulcio_config_uri_mode():
    s = Settings.from_env(env={"HALLMARK_ISSUER": "https://id.example.org"})
    assert '"Type": "uri"' in fulcio_config(s) and '"SubjectDomain": "https://id.example.org"' in fulcio_config(s)


@pytest.mark.parametrize("env,message", [
    ({"HALLMARK_SUBJECT_DOMAIN": "https://other.net"}, "top two DNS labels"),
    ({"HALLMARK_SUBJECT_DOMAIN": "http://id.example.org"}, "scheme"),
    ({"HALLMARK_SUBJECT_DOMAIN": "id.example.org"}, "scheme"),
    ({"HALLMARK_IDENTITY": "username", "HALLMARK_SUBJECT_DOMAIN": "https://example.org"}, "must not contain a scheme"),
    ({"HALLMARK_IDENTITY": "username", "HALLMARK_SUBJECT_DOMAIN": "evil.net"}, "top two DNS labels"),
])
def test_fulcio_config_refuses_bad_subject_domains(env, message):
    s = Settings.from_env(env={"HALLMARK_ISSUER": "https://id.example.org", **env})
    with pytest.raises(IdentityConfigError, match=message):
        fulcio_config(s)


def test_fulcio_config_username_mode_shares_labels():
    s = Settings.from_env(env={"HALLMARK_ISSUER": "https://id.example.org", "HALLMARK_IDENTITY": "username",
                               "HALLMARK_SUBJECT_DOMAIN": "example.org"})
    assert '"Type": "username"' in fulcio_config(s)
