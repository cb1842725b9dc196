"""docs/security-checklist.md 26-28, over HTTP: replayed, stale, foreign and tampered assertions are refused."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from hallmark_testing.helpers import enroll, login, new_invite, post_json
from hallmark_testing.softauthn import UP, UV, SoftAuthenticator
from idp.ceremony.ceremonies import GENERIC_REFUSAL as GENERIC  # noqa: E402
from idp.platform import clock
from idp.store.models import AuditEvent
from security.conftest import HttpClient


def fresh(server, **kwargs):
    """A user enrolled from one client, and a new, logged-out client to attack with."""
    enroller = HttpClient(server.url)
    auth = enroll(enroller, server.app, f"w{secrets.token_hex(6)}",
                  SoftAuthenticator(origin=server.app.extensions["hallmark"].origin, **kwargs))
    return auth, HttpClient(server.url)


def test_26_replay(server):
    auth, client = fresh(server)
    options = post_json(client, "/login/options").get_json()
    answer = auth.get(options)
    assert post_json(client, "/login/verify", {"credential": answer}).status_code == 200
    assert "already used" in post_json(client, "/login/verify", {"credential": answer}).get_json()["error_description"]


def test_26_expired_challenge(server, monkeypatch):
    auth, client = fresh(server)
    options = post_json(client, "/login/options").get_json()
    later = clock.now() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "expired" in post_json(client, "/login/verify", {"credential": auth.get(options)}).get_json()["error_description"]


def test_26_challenge_of_another_session(server):
    auth, client = fresh(server)
    other = HttpClient(server.url)
    options = post_json(other, "/login/options").get_json()
    post_json(client, "/login/options")
    assert post_json(client, "/login/verify", {"credential": auth.get(options)}).status_code == 400


@pytest.mark.parametrize("tamper", [{"origin": "https://evil"}, {"origin": "http://localhost"}, {"rp_id": "evil.example"},
                                    {"kind": "webauthn.create"}, {"flags": UV}, {"flags": UP}])
def test_27_tampered(server, tamper):
    auth, client = fresh(server)
    response = login(client, auth, **tamper)
    assert response.status_code == 400 and response.get_json()["error_description"] == GENERIC
    assert client.get("/account").status_code == 302


def test_27_unknown_credential_and_wrong_user(server):
    auth, client = fresh(server)
    stranger = SoftAuthenticator(origin=server.app.extensions["hallmark"].origin)
    stranger.user_handle = b"s" * 32
    assert login(client, stranger).get_json()["error_description"] == GENERIC
    assert login(client, auth, user_handle=b"z" * 32).get_json()["error_description"] == GENERIC


def test_28_counter(server):
    auth, client = fresh(server, sign_count=10)
    for presented in (10, 9):
        assert login(client, auth, counter=presented).get_json()["error_description"] == GENERIC
    with server.app.app_context():
        assert AuditEvent.query.filter_by(event="security.counter_regression").count() >= 2
    assert login(client, auth, counter=11).status_code == 200


def test_28_synced_passkey_zero_counter(server):
    auth, client = fresh(server, sign_count=0, count_step=0)
    assert login(client, auth).status_code == 200
    assert login(client, auth).status_code == 200


def test_28_duplicate_credential_id(server):
    auth, client = fresh(server)
    token = new_invite(server.app)
    options = post_json(client, f"/enroll/{token}/options", {"username": f"x{secrets.token_hex(6)}"}).get_json()
    response = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)})
    assert "already registered" in response.get_json()["error_description"]
