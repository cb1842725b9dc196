"""RFC 8628 device authorization: issuing, polling errors, approval with a key touch, single use."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallmark_testing.helpers import csrf_token, enroll, post_json
from idp.oauth.client_records import register
from idp.platform import clock

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start(client, client_id="sigstore"):
    return client.post("/device/authorize", data={"client_id": client_id, "scope": "openid"})


def poll(client, device_code, client_id="sigstore"):
    return client.post("/token", data={"grant_type": GRANT, "device_code": device_code, "client_id": client_id})


def approve(client, auth, user_code):
    options = post_json(client, "/login/options").get_json()
    return post_json(client, "/device/approve", {"user_code": user_code, "credential": auth.get(options),
                                                 "confirmed": True})


def test_discovery_advertises_device_flow(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["device_authorization_endpoint"] == "http://localhost/device/authorize"
    assert GRANT in doc["grant_types_supported"]


def test_full_device_flow(app, client):
    auth = enroll(client, app, "devy")
    started = start(app.test_client())
    assert started.status_code == 200 and started.headers["Cache-Control"] == "no-store"
    data = started.get_json()
    assert data["verification_uri"] == "http://localhost/device" and data["interval"] == 5
    assert data["verification_uri_complete"].endswith(data["user_code"])
    cli = app.test_client()
    assert poll(cli, data["device_code"]).get_json()["error"] == "authorization_pending"
    assert poll(cli, data["device_code"]).get_json()["error"] == "slow_down"
    page = client.get(f"/device?user_code={data['user_code'].lower().replace('-', ' ')}")
    assert page.status_code == 200 and 'id="approve"' in page.get_data(as_text=True)
    assert approve(client, auth, data["user_code"]).status_code == 200
    token = poll(cli, data["device_code"])
    assert token.status_code == 200, token.get_json()
    assert {"access_token", "id_token"} <= set(token.get_json())
    again = poll(cli, data["device_code"])
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_denied(app, client):
    data = start(client).get_json()
    client.post("/device/deny", data={"user_code": data["user_code"], "csrf_token": csrf_token(client)})
    assert poll(client, data["device_code"]).get_json()["error"] == "access_denied"


def test_expired(app, client, monkeypatch):
    data = start(client).get_json()
    later = clock.now() + timedelta(seconds=601)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert poll(client, data["device_code"]).get_json()["error"] == "expired_token"
    assert client.get(f"/device?user_code={data['user_code']}").status_code == 404


def test_approval_needs_a_valid_key_touch(app, client):
    auth = enroll(client, app, "devbad")
    data = start(client).get_json()
    options = post_json(client, "/login/options").get_json()
    bad = post_json(client, "/device/approve", {"user_code": data["user_code"],
                                                "credential": auth.get(options, origin="https://evil")})
    assert bad.status_code == 400
    assert poll(client, data["device_code"]).get_json()["error"] == "authorization_pending"


@pytest.mark.parametrize("user_code", ["", "AAAA-AAAA", "NOPE", "BCDF-GHJK"])
def test_unknown_user_codes(client, user_code):
    response = client.get(f"/device?user_code={user_code}")
    assert response.status_code == 404 and "unknown, expired or already used" in response.get_data(as_text=True)


def test_unknown_and_confidential_clients_are_refused(app, client):
    assert start(client, "nobody").status_code in (400, 401)
    with app.app_context():
        register("conf", "Confidential", ["https://app.example/cb"], confidential=True)
    assert start(client, "conf").status_code in (400, 401)


def test_unknown_device_code(client):
    response = poll(client, "not-a-real-code")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_approving_an_unknown_code_is_refused_before_any_key_touch(app, client):
    auth = enroll(client, app, "devy")
    refused = approve(client, auth, "BCDF-GHJK")
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_user_code"
