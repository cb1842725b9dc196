"""WebAuthn refusals (docs/security-checklist.md, items 26-28) and enrollment rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallmark_testing.helpers import enroll, login, new_invite, post_json
from hallmark_testing.softauthn import UP, UV, SoftAuthenticator
from idp.ceremony.ceremonies import GENERIC_REFUSAL as GENERIC  # noqa: E402
from idp.platform import clock
from idp.store.models import AuditEvent, Credential


def _fresh(app, client, username="webby", **kwargs):
    auth = enroll(client, app, username, SoftAuthenticator(**kwargs))
    with client.session_transaction() as sess:
        sess.clear()
    return auth


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_26_assertion_replay_is_refused(app, client):
    auth = _fresh(app, client)
    options = post_json(client, "/login/options").get_json()
    answer = auth.get(options)
    assert post_json(client, "/login/verify", {"credential": answer}).status_code == 200
    replay = post_json(client, "/login/verify", {"credential": answer})
    assert replay.status_code == 400 and "expired or was already used" in replay.get_json()["error_description"]


@pytest.mark.parametrize("seconds,accepted", [(299, True), (301, False)])
def test_26_challenge_lives_five_minutes(app, client, monkeypatch, seconds, accepted):
    auth = _fresh(app, client)
    options = post_json(client, "/login/options").get_json()
    later = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = post_json(client, "/login/verify", {"credential": auth.get(options)})
    assert (response.status_code == 200) is accepted
    if not accepted:
        assert "expired" in response.get_json()["error_description"]


def test_26_challenge_from_another_session(app, client):
    auth = _fresh(app, client)
    other = app.test_client()
    options = post_json(other, "/login/options").get_json()
    post_json(client, "/login/options")
    response = post_json(client, "/login/verify", {"credential": auth.get(options)})
    assert response.status_code == 400 and not _logged_in(client)


def test_26_challenge_is_single_use_even_after_failure(app, client):
    auth = _fresh(app, client)
    options = post_json(client, "/login/options").get_json()
    bad = post_json(client, "/login/verify", {"credential": auth.get(options, origin="https://evil")})
    assert bad.status_code == 400
    retry = post_json(client, "/login/verify", {"credential": auth.get(options)})
    assert "expired or was already used" in retry.get_json()["error_description"]


@pytest.mark.parametrize("tamper", [
    {"origin": "https://evil"}, {"origin": "https://localhost"}, {"origin": "http://localhost:8081"},
    {"rp_id": "evil.example"}, {"kind": "webauthn.create"}, {"flags": UV}, {"flags": UP},
])
def test_27_tampered_assertion_fields(app, client, tamper):
    auth = _fresh(app, client)
    response = login(client, auth, **tamper)
    assert response.status_code == 400 and response.get_json()["error_description"] == GENERIC
    assert not _logged_in(client)


def test_27_bad_signature(app, client):
    auth = _fresh(app, client)
    options = post_json(client, "/login/options").get_json()
    answer = auth.get(options)
    sig = bytearray(answer["response"]["signature"].encode())
    sig[10] = ord("A") if sig[10] != ord("A") else ord("B")
    answer["response"]["signature"] = sig.decode()
    response = post_json(client, "/login/verify", {"credential": answer})
    assert response.status_code == 400 and response.get_json()["error_description"] == GENERIC


def test_27_unknown_credential(app, client):
    _fresh(app, client)
    stranger = SoftAuthenticator()
    stranger.user_handle = b"x" * 32
    assert login(client, stranger).get_json()["error_description"] == GENERIC


def test_27_credential_of_another_user_and_user_handle_mismatch(app, client):
    alice = _fresh(app, client, "alice")
    _fresh(app, client, "bob")
    wrong_user = login(client, alice, username="bob")
    assert wrong_user.status_code == 400 and wrong_user.get_json()["error_description"] == GENERIC
    wrong_handle = login(client, alice, user_handle=b"z" * 32)
    assert wrong_handle.status_code == 400 and wrong_handle.get_json()["error_description"] == GENERIC


def test_28_counter_must_increase_and_regression_is_a_security_event(app, client):
    auth = _fresh(app, client, sign_count=10)
    for presented in (10, 9):
        response = login(client, auth, counter=presented)
        assert response.status_code == 400 and response.get_json()["error_description"] == GENERIC
    with app.app_context():
        events = AuditEvent.query.filter_by(event="security.counter_regression").all()
        assert len(events) == 2 and all(e.security for e in events)
    assert login(client, auth, counter=11).status_code == 200
    with app.app_context():
        assert Credential.query.one().sign_count == 11


def test_28_zero_counter_synced_passkey_is_accepted(app, client):
    auth = _fresh(app, client, sign_count=0, count_step=0)
    assert login(client, auth).status_code == 200
    assert login(client, auth).status_code == 200


def test_28_existing_credential_id_cannot_be_registered_again(app, client):
    auth = enroll(client, app, "first")
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "second"}).get_json()
    response = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)})
    assert response.status_code == 400 and "already registered" in response.get_json()["error_description"]


def test_28_registration_without_user_verification_is_refused(app, client):
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "nouv"}).get_json()
    response = post_json(client, f"/enroll/{token}/verify", {"credential": SoftAuthenticator().create(options, flags=UP)})
    assert response.status_code == 400


def test_28_disallowed_algorithm_is_refused(app, client):
    """An RS1 (-65535) key is not among the algorithms Hallmark accepts."""
    import cbor2

    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "rsone"}).get_json()
    assert all(p["alg"] in (-7, -8, -257) for p in options["pubKeyCredParams"])
    auth = SoftAuthenticator()
    auth._cose_key = lambda: cbor2.dumps({1: 3, 3: -65535, -1: b"\x01" * 256, -2: b"\x01\x00\x01"})
    response = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)})
    assert response.status_code == 400


@pytest.mark.parametrize("username", ["ab", "A-lice", "alice!", "a" * 33, "al ice", "alice@example.org", ""])
def test_usernames_must_follow_the_rules(app, client, username):
    token = new_invite(app)
    response = post_json(client, f"/enroll/{token}/options", {"username": username})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_username"


def test_usernames_are_never_reused(app, client):
    enroll(client, app, "taken")
    response = post_json(client, f"/enroll/{new_invite(app)}/options", {"username": "taken"})
    assert response.status_code == 409


def test_invite_is_single_use_and_expires(app, client, monkeypatch):
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "once"}).get_json()
    assert post_json(client, f"/enroll/{token}/verify", {"credential": SoftAuthenticator().create(options)}).status_code == 200
    assert client.get(f"/enroll/{token}").status_code == 404
    late = new_invite(app)
    later = clock.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get(f"/enroll/{late}").status_code == 404


@pytest.mark.parametrize("body", [
    {"credential": "not-an-object"}, {"credential": {"id": "%%%", "rawId": "%%%", "response": {}}},
    {"credential": {"id": "AA", "rawId": "AA", "type": "public-key",
                    "response": {"clientDataJSON": "AA", "attestationObject": "_____"}}},
    {},
])
def test_malformed_responses_are_400_with_a_message(app, client, body):
    token = new_invite(app)
    post_json(client, f"/enroll/{token}/options", {"username": "malformed"})
    response = post_json(client, f"/enroll/{token}/verify", body)
    assert response.status_code == 400 and response.get_json()["error_description"]


def test_enroll_options_for_an_unknown_link_are_404(client):
    response = post_json(client, "/enroll/not-a-real-invitation/options", {"username": "nobody"})
    assert response.status_code == 404 and response.get_json()["error"] == "invalid_invite"


def test_a_registration_replayed_after_success_is_refused(app, client):
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "replayer"}).get_json()
    answer = SoftAuthenticator().create(options)
    assert post_json(client, f"/enroll/{token}/verify", {"credential": answer}).status_code == 200
    replay = post_json(client, f"/enroll/{token}/verify", {"credential": answer})
    assert replay.status_code == 400 and "expired or was already used" in replay.get_json()["error_description"]


def test_a_registration_started_on_one_link_cannot_finish_on_another(app, client):
    first, second = new_invite(app), new_invite(app)
    options = post_json(client, f"/enroll/{first}/options", {"username": "linkhopper"}).get_json()
    moved = post_json(client, f"/enroll/{second}/verify", {"credential": SoftAuthenticator().create(options)})
    assert moved.status_code == 400
    assert moved.get_json()["error_description"] == "This registration belongs to another link."


def test_two_browsers_racing_for_one_link_enroll_one_person(app):
    token = new_invite(app)
    one, two = app.test_client(), app.test_client()
    options_one = post_json(one, f"/enroll/{token}/options", {"username": "racer-one"}).get_json()
    options_two = post_json(two, f"/enroll/{token}/options", {"username": "racer-two"}).get_json()
    first = post_json(one, f"/enroll/{token}/verify", {"credential": SoftAuthenticator().create(options_one)})
    assert first.status_code == 200
    late = post_json(two, f"/enroll/{token}/verify", {"credential": SoftAuthenticator().create(options_two)})
    assert late.status_code == 404 and late.get_json()["error"] == "invalid_invite"
    from idp.store.models import User

    with app.app_context():
        assert [u.username for u in User.query.all()] == ["racer-one"]


def test_adding_a_key_without_asking_for_options_first_is_refused(app, client):
    enroll(client, app, "keyholder")
    refused = post_json(client, "/account/keys/verify", {"credential": SoftAuthenticator().create({
        "challenge": "AAAA", "rp": {"id": "localhost", "name": "x"}, "user": {"id": "AAAA", "name": "keyholder"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}]})})
    assert refused.status_code == 400 and "expired or was already used" in refused.get_json()["error_description"]
    with app.app_context():
        assert Credential.query.count() == 1
