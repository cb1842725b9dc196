"""Email identity mode: an address proven through a single-use link sent by a real local SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.helpers import (
    authorize_params,
    authorize_request_of,
    authorize_url,
    csrf_token,
    enroll,
    login,
    make_settings,
    pkce_pair,
    sigstore_token,
)
from hallmark_testing.mail import smtp_server
from hallmark_testing.servers import free_port
from idp import create_app
from idp.people.identity import fulcio_config
from idp.platform import clock
from idp.platform.config import ConfigError, Settings


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        yield inbox, port


@pytest.fixture
def email_app(tmp_path, database_url, smtp):
    _, port = smtp
    app = create_app(make_settings(tmp_path, identity_mode="email", smtp_host="127.0.0.1", smtp_port=port,
                                   database_url=database_url), create_schema=True)
    return app


def claims(client, body) -> dict:
    jwks = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    return jwt.decode(body["access_token"], jwks).claims


def add_email(client, address):
    return client.post("/account/email", data={"email": address, "csrf_token": csrf_token(client)})


def confirm(client, link):
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    return client.post(path, data={"csrf_token": csrf_token(client)})


def test_tokens_carry_the_email_only_once_proven(email_app, smtp):
    inbox, _ = smtp
    client = email_app.test_client()
    auth = enroll(client, email_app, "mailer")
    url = authorize_url(authorize_params(code_challenge=pkce_pair()[1], code_challenge_method="S256"))
    login(client, auth, authorize_request=authorize_request_of(client.get(url)))
    refused = client.get(url)                                          # no proven address: no signing token
    assert refused.status_code == 400 and "no verified email address" in refused.get_data(as_text=True)
    assert add_email(client, "mailer@example.org").status_code == 302
    link = inbox.link_for("mailer@example.org")
    assert confirm(client, link).status_code == 302
    response, _ = sigstore_token(client, auth)
    assert response.status_code == 200
    token_claims = claims(client, response.get_json())
    assert token_claims["email"] == "mailer@example.org" and token_claims["email_verified"] is True
    reuse = client.post(link.removeprefix("http://localhost"), data={"csrf_token": csrf_token(client)})
    assert reuse.status_code == 404


def test_links_expire(email_app, smtp, monkeypatch):
    inbox, _ = smtp
    client = email_app.test_client()
    enroll(client, email_app, "slowpoke")
    add_email(client, "slow@example.org")
    link = inbox.link_for("slow@example.org")
    later = clock.now() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get(link.removeprefix("http://localhost")).status_code == 404


def test_unreachable_mail_server_is_explained(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, identity_mode="email", smtp_host="127.0.0.1", smtp_port=free_port(),
                                   database_url=database_url), create_schema=True)
    client = app.test_client()
    enroll(client, app, "nomail")
    add_email(client, "nomail@example.org")
    assert "Could not send the confirmation" in client.get("/account").get_data(as_text=True)


def test_bad_addresses_are_refused(email_app):
    client = email_app.test_client()
    enroll(client, email_app, "typo")
    add_email(client, "not an address")
    assert "does not look like an email address" in client.get("/account").get_data(as_text=True)


def test_fulcio_config_is_type_email_and_smtp_is_required():
    settings = Settings.from_env(env={"HALLMARK_ISSUER": "https://id.example.org", "HALLMARK_IDENTITY": "email",
                                      "HALLMARK_SMTP_HOST": "mail.example.org"})
    entry = __import__("json").loads(fulcio_config(settings))["OIDCIssuers"]["https://id.example.org"]
    assert entry == {"IssuerURL": "https://id.example.org", "ClientID": "sigstore", "Type": "email"}
    with pytest.raises(ConfigError, match="SMTP_HOST"):
        Settings.from_env(env={"HALLMARK_IDENTITY": "email"})


def test_a_device_approval_needs_a_proven_address_too(email_app, smtp):
    from test_device import approve, start

    client = email_app.test_client()
    auth = enroll(client, email_app, "nomail")
    data = start(email_app.test_client()).get_json()
    refused = approve(client, auth, data["user_code"])
    assert refused.status_code == 400 and refused.get_json()["error"] == "access_denied"
    assert "no verified email address" in refused.get_json()["error_description"]
