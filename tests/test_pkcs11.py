"""Signing keys in a PKCS#11 token (SoftHSM2): generated there, used there, never in the database."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.helpers import SOFTHSM_MODULE as MODULE
from hallmark_testing.helpers import enroll, make_settings, sigstore_token
from idp import create_app
from idp.oauth import signing_keys as keys
from idp.platform.config import ConfigError, Settings
from idp.store.models import SigningKey


@pytest.fixture
def hsm_app(tmp_path, database_url, softhsm):
    keys._private_cache.clear()
    settings = make_settings(tmp_path, database_url=database_url, pkcs11_module=MODULE,
                             pkcs11_token_label="hallmark", pkcs11_pin=softhsm.read_text().strip())
    return create_app(settings, create_schema=True)


def test_keys_live_in_the_token_and_sign_tokens(hsm_app):
    with hsm_app.app_context():
        rows = SigningKey.query.all()
        assert {r.custody for r in rows} == {"pkcs11"} and all(r.private_pem is None for r in rows)
    client = hsm_app.test_client()
    response, _ = sigstore_token(client, enroll(client, hsm_app, "hsmuser"))
    assert response.status_code == 200, response.get_json()
    jwks = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    for raw in (response.get_json()["access_token"], response.get_json()["id_token"]):
        assert jwt.decode(raw, jwks, algorithms=["ES256"]).claims["sub"] == "http://localhost/u/hsmuser"


def test_private_keys_are_not_extractable(hsm_app):
    from idp.platform import hsm

    settings = hsm_app.extensions["hallmark"]
    with hsm_app.app_context():
        kids = [k.kid for k in SigningKey.query.all()]
    for kid in kids:
        assert hsm.store_for(settings).protection(kid) == {"sensitive": True, "extractable": False}


def test_rotation_works_the_same_way(hsm_app):
    client = hsm_app.test_client()
    with hsm_app.app_context():
        new_kid = keys.rotate(hsm_app.extensions["hallmark"]).kid
        assert SigningKey.query.filter_by(state="next").one().custody == "pkcs11"
    response, _ = sigstore_token(client, enroll(client, hsm_app, "rotatehsm"))
    jwks = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    assert jwt.decode(response.get_json()["access_token"], jwks).header["kid"] == new_kid


def test_pin_file_is_required(tmp_path):
    with pytest.raises(ConfigError, match="PIN_FILE"):
        Settings.from_env(env={"HALLMARK_PKCS11_MODULE": MODULE})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env(env={"HALLMARK_PKCS11_MODULE": MODULE, "HALLMARK_PKCS11_PIN_FILE": str(tmp_path / "none")})
