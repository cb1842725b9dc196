"""Service-level behaviour: rate limits, body size, headers, CSRF on forms, account pages, errors."""

from __future__ import annotations

import re

import pytest
from flask import request

from hallmark_testing.helpers import csrf_token, enroll, make_settings, post_json
from idp import create_app
from idp.store.models import Credential


@pytest.fixture
def limited_client(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, ratelimit_login="3 per minute", ratelimit_token="2 per minute",
                                   database_url=database_url),
                     create_schema=True)
    return app.test_client()


def test_29_login_rate_limit_answers_429_with_retry_after(limited_client):
    statuses = [post_json(limited_client, "/login/options").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    response = post_json(limited_client, "/login/options")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_json()["error_description"]


def test_29_token_rate_limit(limited_client):
    statuses = [limited_client.post("/token", data={"grant_type": "x"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_30_oversized_body_is_413(client):
    response = client.post("/token", data={"code": "x" * 70_000})
    assert response.status_code == 413 and "64 KiB" in response.get_json()["error_description"]


def test_30_malformed_json_is_400(client):
    response = client.post("/login/verify", data="{not json", content_type="application/json",
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 400 and "credential" in response.get_json()["error_description"]


def test_security_headers_and_no_third_party_assets(client):
    page = client.get("/login")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_account_requires_login(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_rename_and_revoke_with_csrf(app, client):
    enroll(client, app, "acct")
    with app.app_context():
        cred_id = Credential.query.one().id
    assert client.post(f"/account/keys/{cred_id}/rename", data={"name": "x"}).status_code == 400
    token = csrf_token(client)
    client.post(f"/account/keys/{cred_id}/rename", data={"name": "Blue key", "csrf_token": token})
    page = client.get("/account").get_data(as_text=True)
    assert 'value="Blue key"' in page and "credential.renamed" in page
    confirm = client.post(f"/account/keys/{cred_id}/revoke", data={"csrf_token": token})
    assert "only security key" in confirm.get_data(as_text=True)
    with app.app_context():
        assert Credential.query.one().revoked_at is None
    client.post(f"/account/keys/{cred_id}/revoke", data={"csrf_token": token, "confirm": "yes"})
    with app.app_context():
        assert Credential.query.one().revoked_at is not None


def test_cannot_touch_another_users_key(app, client):
    enroll(client, app, "owner")
    with app.app_context():
        cred_id = Credential.query.one().id
    other = app.test_client()
    enroll(other, app, "intruder")
    response = other.post(f"/account/keys/{cred_id}/revoke", data={"csrf_token": csrf_token(other), "confirm": "yes"})
    assert response.status_code == 404


def test_public_identity_page(app, client):
    enroll(client, app, "public")
    page = client.get("/u/public")
    assert page.status_code == 200 and "http://localhost/u/public" in page.get_data(as_text=True)
    assert client.get("/u/nobody").status_code == 404


def test_unknown_page_is_a_clean_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


def test_31_database_unavailable_answers_503(tmp_path):
    broken = create_app(make_settings(tmp_path, database_url="sqlite:////nonexistent/dir/x.db"))
    response = broken.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "database is unavailable" in response.get_json()["error_description"]
    page = broken.test_client().get("/login", headers={"Accept": "text/html"})
    assert page.status_code == 200  # pages that need no database still work


def test_29_per_account_limit_counts_each_address_and_locks_no_one_out(limited_client):
    """Finding F6: a limit on one account across every address let a stranger lock a person out."""
    for _ in range(3):
        assert post_json(limited_client, "/login/options", {"username": "target"},
                         environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    assert post_json(limited_client, "/login/options", {"username": "target"},
                     environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429
    response = post_json(limited_client, "/login/options", {"username": "target"},
                         environ_base={"REMOTE_ADDR": "10.0.0.4"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/token",
                                  "/userinfo"])
def test_machine_endpoints_do_not_see_the_browser_session(app, client, path):
    enroll(client, app, "machine-paths")
    cookie = {"Cookie": f"hallmark_session={client.get_cookie('hallmark_session').value}"}
    sessions = app.session_interface
    with app.test_request_context(path, headers=cookie):
        opened = sessions.open_session(app, request)
        assert sessions.is_null_session(opened) and "sid" not in opened
    with app.test_request_context("/account", headers=cookie):
        assert sessions.open_session(app, request)["sid"]
    response = client.post(path) if path == "/token" else client.get(path)
    assert "Set-Cookie" not in response.headers and response.is_json
    assert client.get("/account").status_code == 200            # the browser session is untouched
