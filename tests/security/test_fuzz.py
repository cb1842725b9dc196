"""Fuzzing the WebAuthn and token endpoints: always a 4xx with a clear message, never a 500 or a traceback."""

from __future__ import annotations

import base64
import json

import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark_testing.helpers import csrf_token, make_settings, new_invite
from idp import create_app

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                          max_size=4), max_leaves=12)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


cbor_blobs = st.one_of(st.binary(max_size=300),
                       json_values.map(lambda v: cbor2.dumps(v)),
                       st.fixed_dictionaries({"fmt": st.text(max_size=8), "attStmt": st.just({}),
                                              "authData": st.binary(max_size=120)}).map(cbor2.dumps))
b64_strings = st.one_of(st.text(max_size=60), cbor_blobs.map(b64url), st.binary(max_size=100).map(b64url))

credentials = st.one_of(
    json_values,
    st.fixed_dictionaries({
        "id": b64_strings, "rawId": b64_strings, "type": st.sampled_from(["public-key", "x", ""]),
        "response": st.fixed_dictionaries({
            "clientDataJSON": st.one_of(b64_strings, json_values.map(lambda v: b64url(json.dumps(v).encode()))),
            "attestationObject": b64_strings, "authenticatorData": b64_strings, "signature": b64_strings,
            "userHandle": b64_strings}),
    }),
)


def fresh_app(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("fuzz")), create_schema=True)
    app.config["TESTING"] = False          # errors go through the real handlers
    return app


def assert_clean_refusal(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.is_json:
        assert response.get_json().get("error_description")


def test_login_verify_fuzz(tmp_path_factory):
    app = fresh_app(tmp_path_factory)
    client = app.test_client()

    @FUZZ
    @given(credential=credentials)
    def run(credential):
        token = csrf_token(client)
        client.post("/login/options", json={}, headers={"X-CSRFToken": token})
        assert_clean_refusal(client.post("/login/verify", json={"credential": credential},
                                         headers={"X-CSRFToken": token}))

    run()


def test_enroll_verify_fuzz(tmp_path_factory):
    app = fresh_app(tmp_path_factory)
    client = app.test_client()
    counter = iter(range(10**6))

    @FUZZ
    @given(credential=credentials)
    def run(credential):
        invite = new_invite(app)
        token = csrf_token(client)
        client.post(f"/enroll/{invite}/options", json={"username": f"fuzz-{next(counter)}"},
                    headers={"X-CSRFToken": token})
        assert_clean_refusal(client.post(f"/enroll/{invite}/verify", json={"credential": credential},
                                         headers={"X-CSRFToken": token}))

    run()


def test_raw_bodies_fuzz(tmp_path_factory):
    app = fresh_app(tmp_path_factory)
    client = app.test_client()

    @FUZZ
    @given(body=st.binary(max_size=2000), path=st.sampled_from(["/login/verify", "/token",
                                                                 "/device/authorize", "/userinfo"]),
           content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                         "application/cbor", "text/plain"]))
    def run(body, path, content_type):
        token = csrf_token(client)
        response = client.post(path, data=body, content_type=content_type, headers={"X-CSRFToken": token})
        assert_clean_refusal(response)

    run()


def test_token_form_fuzz(tmp_path_factory):
    app = fresh_app(tmp_path_factory)
    client = app.test_client()

    @FUZZ
    @given(form=st.dictionaries(st.sampled_from(["grant_type", "code", "redirect_uri", "code_verifier", "client_id",
                                                 "client_secret", "device_code", "scope"]),
                                st.text(max_size=80), max_size=6),
           auth=st.one_of(st.none(), st.text(max_size=40)))
    def run(form, auth):
        headers = {"Authorization": auth} if auth else {}
        try:
            response = client.post("/token", data=form, headers=headers)
        except ValueError:
            return                      # the test client itself refuses headers with newlines
        assert_clean_refusal(response)

    run()


def test_oversized_json_is_413(tmp_path_factory):
    app = fresh_app(tmp_path_factory)
    client = app.test_client()
    response = client.post("/login/verify", json={"credential": "x" * 70000},
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 413
