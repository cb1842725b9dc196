"""The happy path through the Flask test client: enroll, log in, get sigstore tokens."""

from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.helpers import enroll, sigstore_token


def test_enroll_login_and_token(app, client):
    auth = enroll(client, app, "alice")
    client.post("/logout", data={})
    response, _ = sigstore_token(client, auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    jwks = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    access = jwt.decode(body["access_token"], jwks)
    assert access.claims["sub"] == "http://localhost/u/alice"
    assert access.claims["aud"] == "sigstore"
    idt = jwt.decode(body["id_token"], jwks)
    assert idt.claims["iss"] == "http://localhost" and "at_hash" in idt.claims
