"""Red-team findings F3, F7, F10, F11, F12 and F13, over HTTP: redirects, cross-device phishing, enumeration,
crashes, claims and OIDC request parameters.

Each test is named after its finding and failed on the code before the fix (docs/security.md).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.helpers import (
    SIGSTORE_BASIC,
    authorize_params,
    authorize_request_of,
    authorize_url,
    csrf_token,
    enroll,
    get_code,
    login,
    pkce_pair,
    post_json,
)
from hallmark_testing.helpers import page_text as text
from hallmark_testing.helpers import unique_name as name
from hallmark_testing.servers import LiveServer
from idp.oauth.client_records import OOB_REDIRECT_URI
from security.conftest import HttpClient

CALLBACK = "http://localhost:12345/auth/callback"




def signed_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client)})


# F3 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example/x", "/\n/evil.example/x", "/\r/evil.example/x",
                                    "/%09/evil.example/x", "//evil.example/x", "/\\evil.example/x",
                                    "https://evil.example/x", "/ /evil.example", "/%5cevil.example",
                                    "javascript:alert(1)"])
def test_f03_open_redirect_after_login(client, app, target):
    auth = enroll(client, app, name("redirected"))
    signed_out(client)
    options = post_json(client, "/login/options").get_json()
    answer = post_json(client, "/login/verify", {"credential": auth.get(options), "next": target})
    assert answer.status_code == 200 and answer.get_json()["redirect"] == "/account"


def test_f03_same_origin_paths_are_still_followed(client, app):
    auth = enroll(client, app, name("followed"))
    signed_out(client)
    options = post_json(client, "/login/options").get_json()
    answer = post_json(client, "/login/verify", {"credential": auth.get(options), "next": "/u/someone?x=1"})
    assert answer.get_json()["redirect"] == "/u/someone?x=1"


# F7 ----------------------------------------------------------------------------------------------

def test_f07_oob_page_says_what_is_approved_and_warns(client, app):
    auth = enroll(client, app, name("oob"))
    signed_out(client)
    _, challenge = pkce_pair()
    url = authorize_url(authorize_params(redirect_uri=OOB_REDIRECT_URI, code_challenge=challenge,
                                         code_challenge_method="S256"))
    page = client.get(url)
    assert "If someone sent you this link, stop here" in text(page) and "opened at" in text(page)
    assert login(client, auth, authorize_request=authorize_request_of(page)).status_code == 200
    shown = text(client.get(url))
    assert 'id="oob-code"' in shown
    assert "a signing certificate for your identity" in shown and "Sigstore" in shown
    assert "Never send it to anyone" in shown and "The request was opened in this browser at" in shown


def test_f07_device_page_says_what_is_approved_and_warns(client):
    started = requests.post(f"{client.base_url}/device/authorize", data={"client_id": "sigstore"},
                            headers={"User-Agent": "sigstore-python/4.5.1"}).json()
    page = text(client.get(f"/device?user_code={started['user_code']}"))
    assert "a signing certificate for your identity" in page
    assert "sigstore-python/4.5.1" in page and "min ago" in page and "Started:" in page
    assert "If someone sent you this code or link, stop and press Deny" in page


def test_f07_prefilled_code_needs_an_explicit_confirmation(client, app):
    auth = enroll(client, app, name("prefilled"))
    started = requests.post(f"{client.base_url}/device/authorize", data={"client_id": "sigstore"}).json()
    complete = client.get(f"/device?user_code={started['user_code']}")           # verification_uri_complete
    assert 'id="confirm-own"' in complete.get_data(as_text=True)
    typed = client.get(f"/device?user_code={started['user_code']}&typed=1")       # the person typed it
    assert 'id="confirm-own"' not in typed.get_data(as_text=True)
    options = post_json(client, "/login/options").get_json()
    refused = post_json(client, "/device/approve", {"user_code": started["user_code"],
                                                    "credential": auth.get(options)})
    assert refused.status_code == 400 and refused.get_json()["error"] == "confirmation_required"
    options = post_json(client, "/login/options").get_json()
    approved = post_json(client, "/device/approve", {"user_code": started["user_code"], "confirmed": True,
                                                     "credential": auth.get(options)})
    assert approved.status_code == 200


def test_f07_operator_can_switch_the_oob_flow_off(tmp_path):
    server = LiveServer(tmp_path, allow_oob=False)
    try:
        client = HttpClient(server.url)
        _, challenge = pkce_pair()
        refused = client.get(authorize_url(authorize_params(redirect_uri=OOB_REDIRECT_URI, code_challenge=challenge,
                                                            code_challenge_method="S256")))
        assert refused.status_code == 400 and "out-of-band" in text(refused)
        assert "Location" not in refused.headers
        ordinary = client.get(authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256")))
        assert ordinary.status_code == 200                   # the loopback flow is untouched
    finally:
        server.stop()


def test_f07_codes_are_short_lived(app):
    cfg = app.extensions["hallmark"]
    assert cfg.code_lifetime <= 60 and cfg.device_code_lifetime <= 600


# F10 ---------------------------------------------------------------------------------------------

def test_f10_login_options_do_not_tell_known_from_unknown_names(client, app):
    known = name("known")
    enroll(client, app, known)
    signed_out(client)

    def allowed(username):
        body = post_json(client, "/login/options", {"username": username}).get_json()
        return [c["id"] for c in body["allowCredentials"]]

    for username in (known, name("unknown")):
        first, second = allowed(username), allowed(username)
        assert first == second and 1 <= len(first) <= 2         # stable, like a real account's keys


# F11 ---------------------------------------------------------------------------------------------

def test_f11_json_nested_1000_deep_is_a_400(client):
    token = csrf_token(client)
    for path in ("/login/options", "/login/verify", "/device/approve"):
        response = client.post(path, data="[" * 1000 + "]" * 1000, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 400, path
        nested = '{"credential":' * 1000 + "1" + "}" * 1000
        response = client.post(path, data=nested, content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 400, path


@pytest.mark.parametrize("parameter", ["response_type", "scope", "code_challenge_method", "state", "prompt",
                                       "nonce", "max_age", "redirect_uri"])
def test_f11_a_quote_in_an_oauth_parameter_is_a_400(client, parameter):
    _, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256")
    params[parameter] = params.get(parameter, "x") + '"\\'
    response = client.get(authorize_url(params))
    assert response.status_code in (200, 302, 400) and "Traceback" not in response.get_data(as_text=True)


def test_f11_a_foreign_host_over_http_is_a_400(server):
    for method, path in (("post", "/token"), ("post", "/device/authorize"), ("get", "/authorize?client_id=sigstore")):
        response = getattr(requests, method)(f"{server.url}{path}", headers={"Host": "evil.example"},
                                             data={"client_id": "sigstore"}, allow_redirects=False)
        assert response.status_code == 400, path
        assert "https" in response.text


# F12 ---------------------------------------------------------------------------------------------

def test_f12_amr_claims_only_what_was_verified(client, app):
    auth = enroll(client, app, name("amr"))
    verifier, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256")
    code = get_code(client, auth, params)["code"]
    body = requests.post(f"{client.base_url}/token", headers=SIGSTORE_BASIC, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": params["redirect_uri"],
        "code_verifier": verifier}).json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(body["id_token"], keys).claims
    assert "hwk" not in claims["amr"] and claims["amr"] == ["pop", "user"]


# F13 ---------------------------------------------------------------------------------------------

def _location_query(response) -> dict:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.fixture
def ordinary_client(app):
    """A confidential client that does not always ask for a touch (unlike ``sigstore``)."""
    from idp.oauth.client_records import register

    client_id = name("rp")
    with app.app_context():
        _, secret = register(client_id, "Ordinary app", [CALLBACK], confidential=True)
    return client_id, secret


def _ordinary(client_id, **extra):
    params = {"response_type": "code", "client_id": client_id, "scope": "openid", "redirect_uri": CALLBACK,
              "state": "s1"}
    params.update(extra)
    return authorize_url(params)


def test_f13_max_age_0_and_prompt_login_ask_for_a_touch(client, app, ordinary_client):
    client_id, _ = ordinary_client
    enroll(client, app, name("maxage"))
    assert client.get(_ordinary(client_id)).status_code == 302                   # a fresh login suffices
    for extra in ({"max_age": "0"}, {"prompt": "login"}, {"prompt": "consent"}):
        page = client.get(_ordinary(client_id, **extra))
        assert page.status_code == 200 and 'id="login"' in page.get_data(as_text=True), extra
    assert client.get(_ordinary(client_id, max_age="3600")).status_code == 302


def test_f13_request_and_request_uri_are_answered(client, app, ordinary_client):
    client_id, _ = ordinary_client
    assert _location_query(client.get(_ordinary(client_id, request="eyJ.x.y")))["error"] == "request_not_supported"
    assert _location_query(client.get(_ordinary(client_id, request_uri="https://x/r")))["error"] == \
        "request_uri_not_supported"
    assert _location_query(client.get(_ordinary(client_id, prompt="none login")))["error"] == "invalid_request"
    assert _location_query(client.get(_ordinary(client_id, max_age="-1")))["error"] == "invalid_request"


def test_f13_auth_time_is_the_login_time(client, app, ordinary_client):
    client_id, secret = ordinary_client
    enroll(client, app, name("authtime"))
    code = _location_query(client.get(_ordinary(client_id, max_age="600")))["code"]
    body = requests.post(f"{client.base_url}/token", auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}).json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(body["id_token"], keys).claims
    assert claims["auth_time"] <= claims["iat"] and claims["iat"] - claims["auth_time"] < 60
