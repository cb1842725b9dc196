"""docs/security-checklist.md 23-25, over HTTP: what tokens contain, forged tokens refused, keys and discovery."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from hallmark_testing.helpers import enroll, forge_jwt, sigstore_token
from idp.oauth import signing_keys as keys


@pytest.fixture
def issued(client, app):
    nonce = f"n-{secrets.token_hex(8)}"     # a nonce is single-use: a replay is refused at /authorize
    response, _ = sigstore_token(client, enroll(client, app, f"k{secrets.token_hex(6)}"), nonce=nonce)
    assert response.status_code == 200
    return {**response.get_json(), "nonce": nonce}


def jwks(client) -> KeySet:
    return KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())


def test_23_token_contents(client, server, issued):
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    for raw in (issued["id_token"], issued["access_token"]):
        token = jwt.decode(raw, jwks(client), algorithms=["ES256"])
        assert token.header["alg"] == "ES256" and token.header["kid"] in published
        assert token.claims["iss"] == server.url and token.claims["aud"] == "sigstore"
        assert token.claims["exp"] > token.claims["iat"]
    assert jwt.decode(issued["id_token"], jwks(client)).claims["nonce"] == issued["nonce"]


def _header(raw: str) -> dict:
    import base64

    return json.loads(base64.urlsafe_b64decode(raw.split(".")[0] + "=="))


def _claims(raw: str) -> dict:
    import base64

    part = raw.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _sign(app, claims, header_extra=None):
    with app.app_context():
        key = keys.active_key(app.extensions["hallmark"])
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid, **(header_extra or {})}, claims, KeySet([key]))


FORGERIES = ["alg_none", "hs256_public_key", "embedded_jwk", "jku", "x5u", "unknown_kid", "expired", "wrong_aud",
             "wrong_iss", "future_iat"]


@pytest.mark.parametrize("kind", FORGERIES)
def test_24_forged_tokens_refused_at_userinfo(client, app, issued, kind):
    access = issued["access_token"]
    claims, kid = _claims(access), _header(access)["kid"]
    attacker = ECKey.generate_key("P-256", parameters={"kid": kid})
    public_pem = jwks(client).get_by_kid(kid).as_pem(private=False)
    now = int(time.time())
    forged = {
        "alg_none": lambda: forge_jwt({"alg": "none", "typ": "at+jwt"}, claims),
        "hs256_public_key": lambda: forge_jwt({"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims, public_pem),
        "embedded_jwk": lambda: jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": kid,
                                            "jwk": attacker.as_dict(private=False)}, claims, attacker),
        "jku": lambda: jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": kid, "jku": "https://evil/jwks"},
                                  claims, attacker),
        "x5u": lambda: _sign(app, claims, {"x5u": "https://evil/cert"}),
        "unknown_kid": lambda: jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": "zzz"}, claims,
                                          ECKey.generate_key("P-256", parameters={"kid": "zzz"})),
        "expired": lambda: _sign(app, {**claims, "exp": now - 1, "iat": now - 601}),
        "wrong_aud": lambda: _sign(app, {**claims, "aud": "other"}),
        "wrong_iss": lambda: _sign(app, {**claims, "iss": claims["iss"] + "/"}),
        "future_iat": lambda: _sign(app, {**claims, "iat": now + 600, "exp": now + 1200}),
    }[kind]()
    response = client.get("/userinfo", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"


def test_24_id_token_is_not_an_access_token(client, issued):
    response = client.get("/userinfo", headers={"Authorization": f"Bearer {issued['id_token']}"})
    assert response.status_code == 401


def test_25_discovery(client, server):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == server.url and doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"] and doc["id_token_signing_alg_values_supported"] == ["ES256"]
    assert all(doc[k].startswith(server.url + "/") for k in ("authorization_endpoint", "token_endpoint", "jwks_uri"))
    evil = client.get("/.well-known/openid-configuration", headers={"Host": "evil.example"}).get_json()
    assert evil["issuer"] == server.url


def test_25_rotation_publishes_first_and_keeps_old(client, app, issued):
    before = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    with app.app_context():
        new_kid = keys.rotate(app.extensions["hallmark"]).kid
    after = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert new_kid in before and before <= after
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}).status_code == 200
