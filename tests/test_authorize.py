"""Authorization endpoint refusals (docs/security-checklist.md, items 1-12)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from hallmark_testing.helpers import (
    authorize_params,
    authorize_request_of,
    authorize_url,
    enroll,
    get_code,
    login,
    pkce_pair,
    post_json,
)
from idp.oauth.client_records import register

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # S256 of RFC 7636's example verifier


def _params(**overrides):
    return authorize_params(code_challenge=CHALLENGE, code_challenge_method="S256", **overrides)


def _no_redirect(response):
    assert response.status_code == 400
    assert "Location" not in response.headers
    return response.get_data(as_text=True)


def _redirect_error(response) -> dict:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


@pytest.fixture
def webapp(app):
    """A confidential client with one exact https redirect URI."""
    with app.app_context():
        register("webapp", "Web app", ["https://app.example/cb"], confidential=True)
    return "https://app.example/cb"


@pytest.mark.parametrize("uri", [
    "https://app.example/cb.evil", "https://app.example/cb/../x", "https://app.example/cb/",
    "https://APP.example/cb", "https://app.example/cb?x=1", "https://app.example/cb#frag",
    "https://evil.example/cb",
])
def test_01_unregistered_redirect_uri_renders_error_without_redirect(client, webapp, uri):
    response = client.get(authorize_url(authorize_params(client_id="webapp", redirect_uri=uri)))
    assert "not supported" in _no_redirect(response)


@pytest.mark.parametrize("uri", [
    "http://localhost:1234/auth/callback", "http://127.0.0.1:5/auth/callback", "http://[::1]:65535/auth/callback",
])
def test_02_loopback_any_port_is_allowed(client, uri):
    response = client.get(authorize_url(_params(redirect_uri=uri)))
    assert response.status_code == 200 and 'id="login"' in response.get_data(as_text=True)


@pytest.mark.parametrize("uri", [
    "http://localhost.evil.com:1234/auth/callback", "http://127.0.0.1@evil/auth/callback",
    "http://localhost:1234/other", "https://localhost:1234/auth/callback", "http://localhost:99999/auth/callback",
    "http://localhost:1234/auth/callback?x=1", "http://localhost:1234/auth/callback#f",
])
def test_02_loopback_lookalikes_are_refused_without_redirect(client, uri):
    _no_redirect(client.get(authorize_url(_params(redirect_uri=uri))))


def test_03_missing_redirect_uri_with_several_registered(client, app):
    with app.app_context():
        register("multi", "Multi", ["https://a.example/cb", "https://b.example/cb"], confidential=True)
    body = _no_redirect(client.get(authorize_url(authorize_params(client_id="multi", redirect_uri=None))))
    assert "redirect_uri" in body


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code token", "bogus"])
def test_04_unsupported_response_type_redirects_with_error(client, response_type):
    query = _redirect_error(client.get(authorize_url(_params(response_type=response_type))))
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == "st-1" and query["iss"] == "http://localhost"
    assert "code" not in query


def test_04_missing_response_type(client):
    query = _redirect_error(client.get(authorize_url(_params(response_type=None))))
    assert query["error"] in ("unsupported_response_type", "invalid_request")


def test_05_missing_code_challenge_for_public_client(client):
    query = _redirect_error(client.get(authorize_url(authorize_params())))
    assert query["error"] == "invalid_request" and "PKCE" in query["error_description"]
    assert query["iss"] == "http://localhost"


@pytest.mark.parametrize("method,challenge", [
    ("plain", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("S512", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("S256", "a" * 42), ("S256", "a" * 129), ("S256", "a" * 42 + "!"),
])
def test_06_bad_challenge_method_or_shape(client, method, challenge):
    query = _redirect_error(client.get(authorize_url(authorize_params(code_challenge=challenge,
                                                                      code_challenge_method=method))))
    assert query["error"] == "invalid_request"


@pytest.mark.parametrize("param", ["client_id", "redirect_uri", "state", "response_type", "nonce", "code_challenge"])
def test_07_duplicate_parameters(client, param):
    params = list(_params(nonce="n-1").items()) + [(param, "again")]
    body = _no_redirect(client.get("/authorize?" + urlencode(params)))
    assert "repeats parameters" in body and param in body


def test_08_unknown_client(client):
    assert "does not exist" in _no_redirect(client.get(authorize_url(_params(client_id="nobody"))))


def test_09_scope_without_openid_is_plain_oauth_and_unknown_scope_refused(app, client):
    auth = enroll(client, app, "scoper")
    verifier, challenge = pkce_pair()
    params = authorize_params(scope="email", code_challenge=challenge, code_challenge_method="S256")
    code = get_code(client, auth, params)["code"]
    token = client.post("/token", data={"grant_type": "authorization_code", "code": code, "client_id": "sigstore",
                                        "redirect_uri": params["redirect_uri"], "code_verifier": verifier})
    assert token.status_code == 200 and "id_token" not in token.get_json()
    query = _redirect_error(client.get(authorize_url(_params(scope="openid admin"))))
    assert query["error"] == "invalid_scope"


def test_10_prompt_none_without_session_is_login_required(client):
    query = _redirect_error(client.get(authorize_url(_params(prompt="none"))))
    assert query["error"] == "login_required" and query["iss"] == "http://localhost" and query["state"] == "st-1"


def test_11_success_has_iss_and_state_and_pages_refuse_framing(app, client):
    auth = enroll(client, app, "framed")
    page = client.get(authorize_url(_params(state="a b&c=d")))
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in page.headers
    result = get_code(client, auth, _params(state="a b&c=d"))
    assert result["state"] == "a b&c=d" and result["iss"] == "http://localhost" and result["code"]


def test_12_login_post_without_csrf_token_is_refused(app, client):
    auth = enroll(client, app, "csrf")
    options = post_json(client, "/login/options")
    response = client.post("/login/verify", json={"credential": auth.get(options.get_json())})
    assert response.status_code == 400 and "Security check failed" in response.get_json()["error_description"]


def test_12_key_touch_in_another_session_does_not_approve_this_request(app, client):
    """The approval is bound to the session that started the request (Dex CVE-2022-39222 class)."""
    auth = enroll(client, app, "victim")
    url = authorize_url(_params())
    attacker = app.test_client()
    assert attacker.get(url).status_code == 200          # attacker starts the request
    assert login(client, auth, authorize_request=authorize_request_of(client.get(url))).status_code == 200  # victim touches the key in their own session
    response = attacker.get(url)
    assert response.status_code == 200 and 'id="login"' in response.get_data(as_text=True)


def test_oob_redirect_shows_the_code_on_a_no_store_page(app, client):
    auth = enroll(client, app, "oober")
    url = authorize_url(_params(redirect_uri="urn:ietf:wg:oauth:2.0:oob"))
    login(client, auth, authorize_request=authorize_request_of(client.get(url)))
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'id="oob-code"' in page.get_data(as_text=True)


def test_fresh_touch_can_be_turned_off_for_the_sigstore_client(tmp_path, database_url):
    from hallmark_testing.helpers import make_settings
    from idp import create_app

    app = create_app(make_settings(tmp_path, fresh_touch_for_signing=False, database_url=database_url), create_schema=True)
    client = app.test_client()
    enroll(client, app, "relaxed")
    response = client.get(authorize_url(_params()))
    assert response.status_code == 302 and "code=" in response.headers["Location"]


def test_fresh_touch_is_the_default(app, client):
    enroll(client, app, "strict")
    response = client.get(authorize_url(_params()))
    assert response.status_code == 200 and 'id="login"' in response.get_data(as_text=True)


def test_a_failed_touch_can_be_retried_within_the_same_request(app, client):
    auth = enroll(client, app, "retrier")
    url = authorize_url(_params())
    page = client.get(url)
    assert page.status_code == 200
    assert login(client, auth, origin="https://evil").status_code == 400      # e.g. the wrong key
    assert login(client, auth, authorize_request=authorize_request_of(page)).status_code == 200
    response = client.get(url)
    assert response.status_code == 302 and "code=" in response.headers["Location"]
