"""docs/security-checklist.md 1-12, over HTTP: bad authorization requests are refused, never redirected blindly."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from hallmark_testing.helpers import (
    authorize_params,
    authorize_request_of,
    authorize_url,
    enroll,
    login,
    post_json,
)
from idp.oauth.client_records import register
from idp.store.models import AuthorizationCode
from security.conftest import HttpClient

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def params(**overrides):
    return authorize_params(code_challenge=CHALLENGE, code_challenge_method="S256", **overrides)


def codes(app) -> int:
    with app.app_context():
        return AuthorizationCode.query.count()


def refused_here(response) -> str:
    """An error page on Hallmark: 400, no Location header."""
    assert response.status_code == 400 and "Location" not in response.headers
    return response.get_data(as_text=True)


def redirected_error(response) -> dict:
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def username() -> str:
    return f"u{secrets.token_hex(6)}"


@pytest.fixture(scope="module")
def webapp(server):
    with server.app.app_context():
        register("webapp", "Web app", ["https://app.example/cb"], confidential=True)
        register("multi", "Multi", ["https://a.example/cb", "https://b.example/cb"], confidential=True)
    return "webapp"


@pytest.mark.parametrize("uri", ["https://app.example/cb.evil", "https://app.example/cb/../x", "https://app.example/cb/",
                                 "https://APP.example/cb", "https://app.example/cb?x=1", "https://app.example/cb#frag"])
def test_01_unregistered_redirect_uri(client, app, webapp, uri):
    before = codes(app)
    assert "not supported" in refused_here(client.get(authorize_url(authorize_params(client_id="webapp",
                                                                                      redirect_uri=uri))))
    assert codes(app) == before


@pytest.mark.parametrize("uri", ["http://localhost.evil.com:1234/auth/callback", "http://127.0.0.1@evil/auth/callback",
                                 "http://localhost:1234/elsewhere", "https://localhost:1234/auth/callback"])
def test_02_loopback_lookalikes(client, uri):
    refused_here(client.get(authorize_url(params(redirect_uri=uri))))


def test_02_loopback_any_port_allowed(client):
    assert client.get(authorize_url(params(redirect_uri="http://127.0.0.1:49152/auth/callback"))).status_code == 200


def test_03_missing_redirect_uri_with_several_registered(client, webapp):
    refused_here(client.get(authorize_url(authorize_params(client_id="multi", redirect_uri=None))))


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code token"])
def test_04_unsupported_response_types(client, server, response_type):
    query = redirected_error(client.get(authorize_url(params(response_type=response_type))))
    assert query["error"] == "unsupported_response_type" and query["iss"] == server.url and "code" not in query


def test_05_pkce_required_for_sigstore(client):
    assert redirected_error(client.get(authorize_url(authorize_params())))["error"] == "invalid_request"


@pytest.mark.parametrize("method,challenge", [("plain", CHALLENGE), ("S1", CHALLENGE), ("S256", "short"),
                                              ("S256", "x" * 129), ("S256", "!" * 43)])
def test_06_bad_challenges(client, method, challenge):
    query = redirected_error(client.get(authorize_url(authorize_params(code_challenge=challenge,
                                                                       code_challenge_method=method))))
    assert query["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri", "state", "response_type"])
def test_07_duplicate_parameters(client, name):
    refused_here(client.get("/authorize?" + urlencode(list(params().items()) + [(name, "again")])))


def test_08_unknown_client(client):
    assert "does not exist" in refused_here(client.get(authorize_url(params(client_id="nobody"))))


def test_09_unknown_scope_refused_not_escalated(client):
    assert redirected_error(client.get(authorize_url(params(scope="openid admin"))))["error"] == "invalid_scope"


def test_10_prompt_none_without_session(client):
    assert redirected_error(client.get(authorize_url(params(prompt="none"))))["error"] == "login_required"


def test_11_iss_state_framing_and_no_cors(client, app, server):
    auth = enroll(client, app, username())
    page = client.get(authorize_url(params(state="s p&a=ce")))
    assert page.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in page.headers
    assert login(client, auth, authorize_request=authorize_request_of(page)).status_code == 200
    query = redirected_error(client.get(authorize_url(params(state="s p&a=ce"))))
    assert query["state"] == "s p&a=ce" and query["iss"] == server.url and query["code"]


def test_12_csrf_and_session_binding(client, app, server):
    auth = enroll(client, app, username())
    options = post_json(client, "/login/options").get_json()
    no_csrf = client.post("/login/verify", json={"credential": auth.get(options)})
    assert no_csrf.status_code == 400
    attacker = HttpClient(server.url)
    url = authorize_url(params())
    assert attacker.get(url).status_code == 200
    assert login(client, auth, authorize_request=authorize_request_of(client.get(url))).status_code == 200
    assert attacker.get(url).status_code == 200          # still asked to log in: the touch was not theirs
