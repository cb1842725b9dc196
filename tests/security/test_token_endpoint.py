"""docs/security-checklist.md 13-22, over HTTP. Item 21 (refresh tokens) does not apply: see README.md here."""

from __future__ import annotations

import base64
import secrets
import threading
from datetime import timedelta

import pytest
import requests

from hallmark_testing.helpers import (
    SIGSTORE_BASIC,
    authorize_params,
    enroll,
    get_code,
    pkce_pair,
)
from idp.oauth.client_records import register
from idp.platform import clock
from idp.store.models import IssuedToken


def basic(user, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def fresh_code(client, app, **extra):
    auth = enroll(client, app, f"t{secrets.token_hex(6)}")
    verifier, challenge = pkce_pair()
    p = authorize_params(code_challenge=challenge, code_challenge_method="S256", **extra)
    return get_code(client, auth, p)["code"], verifier, p["redirect_uri"]


def redeem(client, code, verifier, redirect_uri, headers=SIGSTORE_BASIC, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    if verifier:
        data["code_verifier"] = verifier
    return client.post("/token", data=data, headers=headers)


def test_13_reuse_refused_and_first_tokens_revoked(client, app):
    code, verifier, uri = fresh_code(client, app)
    first = redeem(client, code, verifier, uri)
    assert first.status_code == 200
    assert redeem(client, code, verifier, uri).get_json()["error"] == "invalid_grant"
    userinfo = client.get("/userinfo", headers={"Authorization": f"Bearer {first.get_json()['access_token']}"})
    assert userinfo.status_code == 401 and "revoked" in userinfo.get_json()["error_description"]


def test_14_concurrent_redemption(client, app, server):
    code, verifier, uri = fresh_code(client, app)
    barrier, results = threading.Barrier(8), []

    def go():
        barrier.wait()
        results.append(requests.post(f"{server.url}/token", headers=SIGSTORE_BASIC, timeout=10, data={
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": uri}).status_code)

    threads = [threading.Thread(target=go) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count(200) == 1, results


def test_15_wrong_and_missing_verifier(client, app):
    code, verifier, uri = fresh_code(client, app)
    assert redeem(client, code, pkce_pair()[0], uri).get_json()["error"] == "invalid_grant"
    assert redeem(client, code, None, uri).get_json()["error"] in ("invalid_grant", "invalid_request")


def test_16_pkce_downgrade(client, app):
    client_id = f"c{secrets.token_hex(4)}"
    with app.app_context():
        _, secret = register(client_id, "Conf", ["https://app.example/cb"], confidential=True)
    auth = enroll(client, app, f"d{secrets.token_hex(6)}")
    p = authorize_params(client_id=client_id, redirect_uri="https://app.example/cb")
    code = get_code(client, auth, p)["code"]
    response = redeem(client, code, pkce_pair()[0], p["redirect_uri"], headers=basic(client_id, secret))
    assert response.status_code == 400 and response.get_json()["error"] in ("invalid_grant", "invalid_request")


def test_17_redirect_uri_mismatch_and_other_client(client, app):
    code, verifier, uri = fresh_code(client, app)
    assert redeem(client, code, verifier, "http://localhost:1/auth/callback").get_json()["error"] == "invalid_grant"
    other = f"p{secrets.token_hex(4)}"
    with app.app_context():
        register(other, "Public", ["https://b.example/cb"], confidential=False)
    assert redeem(client, code, verifier, uri, headers={}, client_id=other).get_json()["error"] == "invalid_grant"


def test_18_expired_code(client, app, monkeypatch):
    code, verifier, uri = fresh_code(client, app)
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)          # the server runs in this process
    response = redeem(client, code, verifier, uri)
    assert response.status_code == 400 and "expired" in response.get_json()["error_description"]


@pytest.mark.parametrize("headers", [basic("sigstore", "nonempty"), basic("sigstore", "x:y")])
def test_19_public_client_with_a_secret(client, app, headers):
    code, verifier, uri = fresh_code(client, app)
    response = redeem(client, code, verifier, uri, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("grant_type", ["password", "implicit", "client_credentials", "refresh_token", "nope"])
def test_20_unsupported_grant_types(client, grant_type):
    response = client.post("/token", data={"grant_type": grant_type}, headers=SIGSTORE_BASIC)
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"


def test_22_no_store_and_no_get(client):
    assert client.post("/token", data={"grant_type": "x"}).headers["Cache-Control"] == "no-store"
    assert client.get("/token").status_code == 405


def test_token_writes_nothing_on_refusal(client, app):
    with app.app_context():
        before = IssuedToken.query.count()
    client.post("/token", data={"grant_type": "authorization_code", "code": "forged"}, headers=SIGSTORE_BASIC)
    with app.app_context():
        assert IssuedToken.query.count() == before
