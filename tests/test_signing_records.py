"""Signing records: every token minted for the ``sigstore`` client leaves one (who, when, which grant
and key touch, a digest of its ``jti``; no token, no address), kept for ``HALLMARK_SIGNING_RECORD_DAYS``
after the short-lived token rows are purged. The identity monitor (issue 15) matches against them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from test_device import approve, poll, start

from hallmark_testing.helpers import (
    authorize_params,
    enroll,
    get_code,
    make_settings,
    pkce_pair,
    sigstore_token,
)
from idp import create_app
from idp.oauth import client_records as clients
from idp.platform import clock
from idp.platform.config import ConfigError, Settings
from idp.store.housekeeping import purge_expired
from idp.store.models import Credential, SigningRecord


def claims_of(app, token: str) -> dict:
    jwks = KeySet.import_key_set(app.test_client().get("/.well-known/jwks.json").get_json())
    return jwt.decode(token, jwks).claims


def records(app) -> list[SigningRecord]:
    with app.app_context():
        return SigningRecord.query.order_by(SigningRecord.id).all()


def test_a_signing_token_leaves_a_record_of_who_when_and_which_key_touch(app, client):
    auth = enroll(client, app, "recorded")
    response, _ = sigstore_token(client, auth)
    claims = claims_of(app, response.get_json()["access_token"])
    [record] = records(app)
    with app.app_context():
        credential = Credential.query.one()
    assert record.subject == claims["sub"] and record.client_id == "sigstore" and record.grant == "authorization_code"
    assert record.jti_sha256 == hashlib.sha256(claims["jti"].encode()).hexdigest()
    assert record.credential_id == credential.id
    assert int(record.issued_at.timestamp()) in (claims["iat"], claims["iat"] - 1)
    assert int(record.expires_at.timestamp()) in (claims["exp"], claims["exp"] - 1)
    columns = set(SigningRecord.__table__.columns.keys())
    assert columns == {"id", "subject", "user_id", "client_id", "grant", "credential_id", "jti_sha256",
                       "issued_at", "expires_at"}, "no token, no IP address, nothing else"


def test_the_device_flow_leaves_one_too(app, client):
    auth = enroll(client, app, "devicerecorded")
    data = start(app.test_client()).get_json()
    assert approve(client, auth, data["user_code"]).status_code == 200
    token = poll(app.test_client(), data["device_code"])
    assert token.status_code == 200, token.get_json()
    [record] = records(app)
    assert record.grant == "device_code" and record.credential_id is not None
    assert record.jti_sha256 == hashlib.sha256(claims_of(app, token.get_json()["access_token"])["jti"].encode()).hexdigest()


def test_a_token_for_another_client_leaves_no_record(app, client):
    with app.app_context():
        clients.register("app", "App", ["https://app.example/cb"], confidential=False)
    auth = enroll(client, app, "otherclient")
    verifier, challenge = pkce_pair()
    params = authorize_params(client_id="app", redirect_uri="https://app.example/cb", code_challenge=challenge,
                              code_challenge_method="S256")
    code = get_code(client, auth, params)["code"]
    token = client.post("/token", data={"grant_type": "authorization_code", "code": code, "client_id": "app",
                                        "redirect_uri": "https://app.example/cb", "code_verifier": verifier})
    assert token.status_code == 200, token.get_json()
    assert records(app) == []


def test_records_outlive_the_token_rows_and_go_after_the_retention(tmp_path, monkeypatch):
    app = create_app(make_settings(tmp_path, signing_record_days=30), create_schema=True)
    client = app.test_client()
    sigstore_token(client, enroll(client, app, "retained"))
    start_time = clock.now()
    for days, left in ((1, 1), (29, 1), (31, 0)):
        monkeypatch.setattr(clock, "now", lambda d=days: start_time + timedelta(days=d))
        with app.app_context():
            purged = purge_expired(app.extensions["hallmark"])
        assert len(records(app)) == left, (days, purged)


@pytest.mark.parametrize("value", ["0", "-3", "a year"])
def test_a_bad_retention_is_refused_with_its_name(value):
    with pytest.raises(ConfigError, match="HALLMARK_SIGNING_RECORD_DAYS must be a positive number of days"):
        Settings.from_env(env={"HALLMARK_SIGNING_RECORD_DAYS": value})
