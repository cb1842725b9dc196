"""Tokens, JWKS and discovery (docs/security-checklist.md, items 23-25)."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sigstore.oidc import IdentityToken

from hallmark_testing.helpers import enroll, forge_jwt, sigstore_token
from idp.oauth import signing_keys as keys
from idp.platform import clock


def _tokens(app, client, username="tokuser", **extra):
    response, _ = sigstore_token(client, enroll(client, app, username), **extra)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _jwks(client) -> KeySet:
    return KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())


def test_23_id_and_access_token_claims(app, client):
    body = _tokens(app, client, nonce="n-123")
    jwks = _jwks(client)
    published = {k["kid"] for k in jwks.as_dict()["keys"]}
    for raw in (body["id_token"], body["access_token"]):
        token = jwt.decode(raw, jwks, algorithms=["ES256"])
        assert token.header["alg"] == "ES256" and token.header["kid"] in published
        claims = token.claims
        assert claims["iss"] == "http://localhost" and claims["aud"] == "sigstore"
        assert claims["exp"] > claims["iat"] and claims["sub"] == "http://localhost/u/tokuser"
    assert jwt.decode(body["access_token"], jwks).header["typ"] == "at+jwt"
    assert jwt.decode(body["id_token"], jwks).claims["nonce"] == "n-123"
    assert "at_hash" in jwt.decode(body["id_token"], jwks).claims
    identity = IdentityToken(body["access_token"])
    assert identity.identity == "http://localhost/u/tokuser" and identity.issuer == "http://localhost"


def test_23_no_nonce_when_none_sent(app, client):
    body = _tokens(app, client)
    assert "nonce" not in jwt.decode(body["id_token"], _jwks(client)).claims


def test_23_nonce_replay_is_refused(app, client):
    _tokens(app, client, nonce="once")
    from hallmark_testing.helpers import authorize_params, authorize_url, pkce_pair
    response = client.get(authorize_url(authorize_params(nonce="once", code_challenge=pkce_pair()[1],
                                                         code_challenge_method="S256")))
    assert response.status_code == 302 and "error=invalid_request" in response.headers["Location"]


def _claims_of(access: str) -> dict:
    payload = access.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _forgeries(app, access: str) -> dict[str, str]:
    claims = _claims_of(access)
    header = json.loads(base64.urlsafe_b64decode(access.split(".")[0] + "=="))
    attacker = ECKey.generate_key("P-256", parameters={"kid": header["kid"]})
    public_pem = KeySet.import_key_set(_jwks_public(app)).get_by_kid(header["kid"]).as_pem(private=False)
    now = int(time.time())
    return {
        "alg_none": forge_jwt({"alg": "none", "typ": "at+jwt"}, claims),
        "hs256_with_public_key": forge_jwt({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}, claims, public_pem),
        "embedded_jwk": jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": header["kid"],
                                    "jwk": attacker.as_dict(private=False)}, claims, attacker),
        "jku_header": jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": header["kid"],
                                  "jku": "https://evil.example/jwks"}, claims, attacker),
        "unknown_kid": jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": "nope"}, claims,
                                  ECKey.generate_key("P-256", parameters={"kid": "nope"})),
        "expired": _sign(app, {**claims, "exp": now - 1, "iat": now - 700}),
        "wrong_aud": _sign(app, {**claims, "aud": "someone-else"}),
        "wrong_iss": _sign(app, {**claims, "iss": "http://localhost/"}),
        "id_token_as_access": _sign(app, claims, typ="JWT"),
    }


def _jwks_public(app) -> dict:
    with app.app_context():
        return keys.jwks()


def _sign(app, claims: dict, typ: str = "at+jwt") -> str:
    with app.app_context():
        key = keys.active_key(app.extensions["hallmark"])
    return jwt.encode({"alg": "ES256", "typ": typ, "kid": key.kid}, claims, KeySet([key]))


@pytest.mark.parametrize("kind", ["alg_none", "hs256_with_public_key", "embedded_jwk", "jku_header", "unknown_kid",
                                  "expired", "wrong_aud", "wrong_iss", "id_token_as_access"])
def test_24_forged_tokens_are_refused_at_userinfo(app, client, kind):
    access = _tokens(app, client)["access_token"]
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    forged = _forgeries(app, access)[kind]
    response = client.get("/userinfo", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_24_missing_bearer(client):
    assert client.get("/userinfo").status_code == 401


def test_25_discovery(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == "http://localhost"
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[name].startswith(doc["issuer"] + "/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["ES256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "refresh_token" not in doc["grant_types_supported"]


def test_25_discovery_ignores_host_header(client):
    doc = client.get("/.well-known/openid-configuration", headers={"Host": "evil.example"}).get_json()
    assert doc["issuer"] == "http://localhost"


def test_25_rotation_publishes_before_use_and_keeps_old_until_expiry(app, client, monkeypatch):
    settings = app.extensions["hallmark"]
    before = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert len(before) == 2                         # active + the published next key
    old_token = _tokens(app, client, "rotator")["access_token"]
    old_kid = jwt.decode(old_token, _jwks(client)).header["kid"]
    with app.app_context():
        new_kid = keys.rotate(settings).kid
    assert new_kid in before and new_kid != old_kid   # the key that now signs was already published
    after = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert old_kid in after and new_kid in after and len(after) == 3
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    later = clock.now() + timedelta(seconds=settings.token_lifetime + 61)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():
        keys.expire_retired(settings)
    final = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert old_kid not in final and new_kid in final


def test_username_identity_mode(tmp_path, database_url):
    from hallmark_testing.helpers import make_settings
    from idp import create_app

    app = create_app(make_settings(tmp_path, identity_mode="username", database_url=database_url), create_schema=True)
    client = app.test_client()
    body = _tokens(app, client, "uma")
    claims = jwt.decode(body["access_token"], _jwks(client)).claims
    assert claims["sub"] == "uma" and IdentityToken(body["access_token"]).identity == "uma"
