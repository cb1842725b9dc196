"""Disabling an account (``hallmark user disable``): no login, no new codes, no redemption of old ones."""

from __future__ import annotations

import os

import pytest
from flask import Flask

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import (
    SIGSTORE_BASIC,
    authorize_params,
    authorize_request_of,
    authorize_url,
    enroll,
    get_code,
    login,
    pkce_pair,
)
from idp import create_app
from idp.ceremony.ceremonies import GENERIC_REFUSAL
from idp.oauth import client_records as clients
from idp.people.accounts import AccountError, set_disabled
from idp.platform.config import Settings
from idp.store.db import db
from idp.store.models import AuditEvent, User

APP_CALLBACK = "https://app.example/cb"


def disable(app: Flask, username: str, disabled: bool = True) -> None:
    with app.app_context():
        set_disabled(username, disabled, actor="test")


def test_a_disabled_session_is_sent_to_the_login_page(app, client):
    enroll(client, app, "mallory")
    with app.app_context():
        clients.register("app", "App", [APP_CALLBACK], confidential=False)
    _, challenge = pkce_pair()
    url = authorize_url(authorize_params(client_id="app", redirect_uri=APP_CALLBACK, code_challenge=challenge,
                                         code_challenge_method="S256"))
    assert client.get(url).status_code == 302                         # logged in: a code at once
    disable(app, "mallory")
    page = client.get(url)
    assert page.status_code == 200 and "Location" not in page.headers  # the login page, no code
    assert client.get("/account").status_code == 302                  # the session is over


def test_a_disabled_account_cannot_log_in(app, client):
    auth = enroll(client, app, "mallory")
    disable(app, "mallory")
    refused = login(app.test_client(), auth)
    assert refused.status_code == 400
    assert refused.get_json()["error_description"] == GENERIC_REFUSAL
    with app.app_context():
        assert AuditEvent.query.filter_by(event="login.failed").count() == 1


def test_a_code_issued_before_disabling_cannot_be_redeemed(app, client):
    auth = enroll(client, app, "mallory")
    verifier, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256")
    code = get_code(client, auth, params)["code"]
    disable(app, "mallory")
    response = client.post("/token", data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": params["redirect_uri"], "code_verifier": verifier},
                           headers=SIGSTORE_BASIC)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_enabling_again_restores_login_and_both_are_audited(app, client):
    auth = enroll(client, app, "mallory")
    disable(app, "mallory")
    disable(app, "mallory", disabled=False)
    assert login(app.test_client(), auth).status_code == 200
    with app.app_context():
        events = [e.event for e in AuditEvent.query.filter(AuditEvent.event.like("account.%")).all()]
        assert events == ["account.disabled", "account.enabled"]


def test_unknown_users_and_no_op_changes_are_refused(app, client):
    enroll(client, app, "mallory")
    with app.app_context():
        with pytest.raises(AccountError, match="no user 'nobody'"):
            set_disabled("nobody", True, actor="test")
        with pytest.raises(AccountError, match="already enabled"):
            set_disabled("mallory", False, actor="test")


def test_the_command_disables_and_reports_clearly(tmp_path):
    env = admin_env(tmp_path / "instance")

    def run(*args: str):
        return hallmark_cli(*args, env=env)

    assert run("db", "upgrade").returncode == 0
    app = create_app(Settings.from_env(env=env))
    with app.app_context():
        db.session.add(User(username="mallory", webauthn_user_id=os.urandom(32)))
        db.session.commit()
    done = run("user", "disable", "mallory")
    assert done.returncode == 0 and "mallory is now disabled" in done.stdout
    with app.app_context():
        assert User.query.filter_by(username="mallory").one().disabled_at is not None
    unknown = run("user", "disable", "nobody")
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr and "Traceback" not in unknown.stderr


def test_a_device_approval_made_before_disabling_yields_no_token(app, client):
    from test_device import approve, poll, start

    auth = enroll(client, app, "mallory")
    data = start(app.test_client()).get_json()
    assert approve(client, auth, data["user_code"]).status_code == 200
    disable(app, "mallory")
    refused = poll(app.test_client(), data["device_code"])
    assert refused.status_code == 400 and refused.get_json()["error"] == "access_denied"
    assert "access_token" not in refused.get_json()


def test_disabling_revokes_the_tokens_the_account_holds(app, client):
    from hallmark_testing.helpers import sigstore_token

    auth = enroll(client, app, "mallory")
    response, _ = sigstore_token(client, auth)
    bearer = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    assert client.get("/userinfo", headers=bearer).status_code == 200
    disable(app, "mallory")
    refused = client.get("/userinfo", headers=bearer)
    assert refused.status_code == 401 and refused.get_json()["error_description"] == "token has been revoked"
    with app.app_context():
        event = AuditEvent.query.filter_by(event="account.disabled").one()
        assert event.details["revoked_tokens"] == 1


def test_an_account_disabled_between_the_key_touch_and_the_code_gets_none(app, client):
    auth = enroll(client, app, "mallory")
    _, challenge = pkce_pair()
    url = authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256"))
    page = client.get(url)
    assert page.status_code == 200
    assert login(client, auth, authorize_request=authorize_request_of(page)).status_code == 200
    disable(app, "mallory")
    again = client.get(url)                            # the session (and its key touch) is gone: no code
    assert again.status_code == 200 and "Location" not in again.headers and 'id="login"' in again.get_data(as_text=True)


def test_the_account_page_of_a_disabled_session_sends_to_login(app, client):
    enroll(client, app, "mallory")
    disable(app, "mallory")
    assert client.get("/account").headers["Location"].startswith("/login")
