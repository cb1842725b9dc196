"""Token endpoint refusals (docs/security-checklist.md, items 13-22)."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest

from hallmark_testing.helpers import (
    SIGSTORE_BASIC,
    authorize_params,
    enroll,
    get_code,
    pkce_pair,
    sigstore_token,
)
from idp.oauth.client_records import register
from idp.platform import clock


def basic(user: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def _code(client, app, username="tok", **extra):
    auth = enroll(client, app, username)
    verifier, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256", **extra)
    return get_code(client, auth, params)["code"], verifier, params["redirect_uri"]


def _redeem(client, code, verifier, redirect_uri, headers=SIGSTORE_BASIC, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return client.post("/token", data=data, headers=headers)


def _userinfo(client, access_token):
    return client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def test_13_reused_code_is_refused_and_first_tokens_revoked(app, client):
    code, verifier, redirect_uri = _code(client, app)
    first = _redeem(client, code, verifier, redirect_uri)
    assert first.status_code == 200
    access = first.get_json()["access_token"]
    assert _userinfo(client, access).status_code == 200
    second = _redeem(client, code, verifier, redirect_uri)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    revoked = _userinfo(client, access)
    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["error_description"]


def test_14_concurrent_redemption_has_exactly_one_winner(app, client, settings):
    code, verifier, redirect_uri = _code(client, app)
    results = []

    def redeem():
        results.append(_redeem(app.test_client(), code, verifier, redirect_uri).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(200) == 1, results


def test_15_wrong_or_missing_verifier(app, client):
    code, verifier, redirect_uri = _code(client, app)
    wrong = _redeem(client, code, pkce_pair()[0], redirect_uri)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    missing = _redeem(client, code, None, redirect_uri)
    assert missing.status_code == 400 and missing.get_json()["error"] in ("invalid_grant", "invalid_request")
    assert _redeem(client, code, verifier, redirect_uri).status_code == 200   # neither attempt burned it


def test_16_pkce_downgrade_verifier_without_challenge(app, client):
    with app.app_context():
        _, secret = register("conf", "Confidential", ["https://app.example/cb"], confidential=True)
    auth = enroll(client, app, "downgrade")
    params = authorize_params(client_id="conf", redirect_uri="https://app.example/cb")
    code = get_code(client, auth, params)["code"]
    response = _redeem(client, code, pkce_pair()[0], params["redirect_uri"], headers=basic("conf", secret))
    assert response.status_code == 400 and response.get_json()["error"] in ("invalid_grant", "invalid_request")


def test_17_redirect_uri_mismatch_and_other_client(app, client):
    code, verifier, redirect_uri = _code(client, app)
    other_port = _redeem(client, code, verifier, "http://localhost:1/auth/callback")
    assert other_port.status_code == 400 and other_port.get_json()["error"] == "invalid_grant"
    with app.app_context():
        register("pub2", "Other public", ["https://b.example/cb"], confidential=False)
    stolen = _redeem(client, code, verifier, redirect_uri, headers={}, client_id="pub2")
    assert stolen.status_code == 400 and stolen.get_json()["error"] == "invalid_grant"


def test_18_expired_code(app, client, monkeypatch):
    code, verifier, redirect_uri = _code(client, app)
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = _redeem(client, code, verifier, redirect_uri)
    assert response.status_code == 400 and "expired" in response.get_json()["error_description"]


def test_18_code_still_valid_at_59_seconds(app, client, monkeypatch):
    code, verifier, redirect_uri = _code(client, app)
    later = clock.now() + timedelta(seconds=59)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _redeem(client, code, verifier, redirect_uri).status_code == 200


@pytest.mark.parametrize("headers", [basic("sigstore", "not-empty"), basic("conf", "wrong"), basic("conf", "")])
def test_19_client_authentication_failures(app, client, headers):
    with app.app_context():
        register("conf", "Confidential", ["https://app.example/cb"], confidential=True)
    code, verifier, redirect_uri = _code(client, app)
    response = _redeem(client, code, verifier, redirect_uri, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_19_basic_id_differs_from_body_client_id(app, client):
    code, verifier, redirect_uri = _code(client, app)
    response = _redeem(client, code, verifier, redirect_uri, client_id="other")
    assert response.get_json()["error"] == "invalid_client"


def test_19_a_public_client_sending_a_secret_in_the_body_is_refused(app, client):
    code, verifier, redirect_uri = _code(client, app)
    response = _redeem(client, code, verifier, redirect_uri, headers={}, client_id="sigstore",
                       client_secret="guessed")
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("grant_type", ["password", "implicit", "client_credentials", "refresh_token", "bogus"])
def test_20_unsupported_grant_types(client, grant_type):
    response = client.post("/token", data={"grant_type": grant_type}, headers=SIGSTORE_BASIC)
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"


def test_22_no_store_and_get_refused(app, client):
    response, _ = sigstore_token(client, enroll(client, app, "nostore"))
    assert response.headers["Cache-Control"] == "no-store"
    error = client.post("/token", data={"grant_type": "bogus"})
    assert error.headers["Cache-Control"] == "no-store"
    assert client.get("/token").status_code == 405


def test_token_query_string_and_duplicate_parameters_refused(app, client):
    assert client.post("/token?grant_type=authorization_code", data={}).get_json()["error"] == "invalid_request"
    dup = client.post("/token", data="grant_type=authorization_code&code=a&code=b",
                      content_type="application/x-www-form-urlencoded")
    assert dup.status_code == 400 and "code" in dup.get_json()["error_description"]
