"""Red-team findings F1, F2 and F9: who an email belongs to, sessions that end, touches that approve one request.

Each test is named after its finding and failed on the code before the fix (docs/security.md).
"""

from __future__ import annotations

import copy
import secrets
from datetime import timedelta

import pytest
from test_email_mode import add_email, email_app, smtp  # noqa: F401 (fixtures)

from hallmark_testing.helpers import (
    authorize_params,
    authorize_request_of,
    authorize_url,
    csrf_token,
    enroll,
    login,
    new_invite,
    pkce_pair,
    post_json,
)
from hallmark_testing.helpers import page_text as text
from hallmark_testing.helpers import unique_name as name
from hallmark_testing.softauthn import SoftAuthenticator
from idp.people.accounts import set_disabled
from idp.platform import clock
from idp.store.db import db
from idp.store.models import User
from security.conftest import HttpClient

LEAVER = "leaver-" + secrets.token_hex(3)
KEYED = "keyed-" + secrets.token_hex(3)
RECOVERING = "recovering-" + secrets.token_hex(3)
TOGGLED = "toggled-" + secrets.token_hex(3)
SLIDER = "slider-" + secrets.token_hex(3)
STEPPER = "stepper-" + secrets.token_hex(3)
TOUCHER = "toucher-" + secrets.token_hex(3)
STRANGER = "stranger-" + secrets.token_hex(3)
EVERYWHERE = "everywhere-" + secrets.token_hex(3)
ONEOTHER = "oneother-" + secrets.token_hex(3)
NOTMINE = "notmine-" + secrets.token_hex(3)
PLANTED = "planted-" + secrets.token_hex(3)
NAMER = "namer-" + secrets.token_hex(3)
NEWBIE = "newbie-" + secrets.token_hex(3)


def browser(client) -> HttpClient:
    """Another browser on the same Hallmark."""
    return HttpClient(client.base_url)


def copy_of(app, client) -> HttpClient:
    """A second browser holding a copy of ``client``'s session cookie (the attacker's)."""
    thief = browser(client)
    for cookie in client.http.cookies:
        thief.http.cookies.set_cookie(copy.copy(cookie))
    return thief




def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def later(monkeypatch, seconds: int) -> None:
    moment = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: moment)


# F1 ----------------------------------------------------------------------------------------------

def test_f01_email_link_confirmed_by_another_account_is_refused(email_app, smtp):  # noqa: F811
    inbox, _ = smtp
    asker, owner = email_app.test_client(), email_app.test_client()
    enroll(asker, email_app, "asker")
    enroll(owner, email_app, "owner")
    assert add_email(asker, "x@example.org").status_code == 302
    path = inbox.link_for("x@example.org").removeprefix("http://localhost")
    page = owner.get(path)                                   # the owner of X, signed in as B, opens A's link
    assert page.status_code == 403 and "for the account 'asker'" in text(page)
    refused = owner.post(path, data={"csrf_token": csrf_token(owner)})
    assert refused.status_code == 403
    with email_app.app_context():
        assert User.query.filter_by(username="owner").one().email is None
        assert User.query.filter_by(username="asker").one().email is None


def test_f01_email_link_needs_the_asking_account_signed_in(email_app, smtp):  # noqa: F811
    inbox, _ = smtp
    asker = email_app.test_client()
    enroll(asker, email_app, "asker2")
    add_email(asker, "y@example.org")
    path = inbox.link_for("y@example.org").removeprefix("http://localhost")
    stranger = email_app.test_client()
    assert stranger.get(path).status_code == 302 and "/login" in stranger.get(path).headers["Location"]
    page = asker.get(path)
    assert page.status_code == 200 and "asker2" in page.get_data(as_text=True)   # the page names the account


def test_f01_one_address_belongs_to_one_account(email_app, smtp):  # noqa: F811
    inbox, _ = smtp
    first, second = email_app.test_client(), email_app.test_client()
    enroll(first, email_app, "first")
    enroll(second, email_app, "second")
    add_email(first, "Shared@Example.org")
    add_email(second, "shared@example.org")                 # asked before the first one confirmed
    links = [body for recipients, body in inbox.messages]
    assert len(links) == 2
    path_first = inbox.link_for("Shared@Example.org").removeprefix("http://localhost")
    assert first.post(path_first, data={"csrf_token": csrf_token(first)}).status_code == 302
    inbox.messages = [m for m in inbox.messages if "shared@example.org" in m[0]]
    path_second = inbox.link_for("shared@example.org").removeprefix("http://localhost")
    refused = second.post(path_second, data={"csrf_token": csrf_token(second)})
    assert refused.status_code == 409 and "another account" in refused.get_data(as_text=True)
    again = add_email(second, "SHARED@example.org")
    assert again.status_code == 302
    assert "already the signing identity of another account" in second.get("/account").get_data(as_text=True)


# F2 ----------------------------------------------------------------------------------------------

def test_f02_session_survives_logout(app, client):
    enroll(client, app, LEAVER)
    thief = copy_of(app, client)
    assert signed_in(thief)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert not signed_in(thief)


def test_f02_session_survives_revocation_of_its_key(app, client):
    auth = enroll(client, app, KEYED)
    second = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    options = post_json(client, "/account/keys/options").get_json()
    assert post_json(client, "/account/keys/verify", {"credential": second.create(options)}).status_code == 200
    thief = copy_of(app, client)                           # the cookie made with the first key
    other = browser(client)
    assert login(other, second).status_code == 200          # the owner, with the second key
    with app.app_context():
        first_id = User.query.filter_by(username=KEYED).one().active_credentials[0].id
    response = other.post(f"/account/keys/{first_id}/revoke", data={"csrf_token": csrf_token(other),
                                                                         "confirm": "yes"})
    assert response.status_code == 302
    assert not signed_in(thief) and not signed_in(client) and signed_in(other)
    assert auth is not None


def test_f02_session_survives_recovery(app, client):
    enroll(client, app, RECOVERING)
    thief = copy_of(app, client)
    with app.app_context():
        from idp.people import invites

        user = User.query.filter_by(username=RECOVERING).one()
        token = invites.create(admin=False, lifetime=3600, recover_user_id=user.id)
    fresh = browser(client)
    new_key = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    options = post_json(fresh, f"/enroll/{token}/options").get_json()
    assert post_json(fresh, f"/enroll/{token}/verify", {"credential": new_key.create(options)}).status_code == 200
    assert not signed_in(thief) and signed_in(fresh)


def test_f02_session_survives_disable_then_enable(app, client):
    enroll(client, app, TOGGLED)
    with app.app_context():
        set_disabled(TOGGLED, True, actor="admin")
        db.session.commit()
        set_disabled(TOGGLED, False, actor="admin")
        db.session.commit()
    assert not signed_in(client)


def test_f02_session_lifetime_counts_from_login_and_does_not_slide(app, client, monkeypatch):
    enroll(client, app, SLIDER)
    later(monkeypatch, 11 * 3600)
    assert signed_in(client)                                 # used (and re-signed) at +11 h
    later(monkeypatch, 12 * 3600 + 1)
    assert not signed_in(client)


def test_f02_copied_cookie_cannot_add_or_revoke_keys_without_a_fresh_touch(app, client, monkeypatch):
    enroll(client, app, STEPPER)
    thief = copy_of(app, client)
    later(monkeypatch, 600)                                  # the login's touch is no longer fresh
    options = post_json(thief, "/account/keys/options")
    assert options.status_code == 403 and options.get_json()["error"] == "fresh_touch_required", options.get_json()
    assert post_json(thief, "/account/keys/verify", {"credential": {}}).status_code == 403
    with app.app_context():
        cred_id = User.query.filter_by(username=STEPPER).one().active_credentials[0].id
    page = thief.post(f"/account/keys/{cred_id}/revoke", data={"csrf_token": csrf_token(thief), "confirm": "yes"})
    assert page.status_code == 403 and "Confirm with your security key" in page.get_data(as_text=True)
    with app.app_context():
        assert len(User.query.filter_by(username=STEPPER).one().active_credentials) == 1


def test_f02_a_touch_of_the_own_key_makes_the_session_fresh_again(app, client, monkeypatch):
    auth = enroll(client, app, TOUCHER)
    stranger_key = enroll(browser(client), app, STRANGER)
    later(monkeypatch, 600)
    options = post_json(client, "/account/touch/options").get_json()
    refused = post_json(client, "/account/touch/verify", {"credential": stranger_key.get(options)})
    assert refused.status_code == 400                        # another account's key is not a step-up
    options = post_json(client, "/account/touch/options").get_json()
    assert post_json(client, "/account/touch/verify", {"credential": auth.get(options)}).status_code == 200
    assert post_json(client, "/account/keys/options").status_code == 200


def test_f02_sign_out_everywhere_and_the_list_of_sessions(app, client):
    auth = enroll(client, app, EVERYWHERE)
    laptop = browser(client)
    assert login(laptop, auth).status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert page.count('class="browser-session"') == 2 and "(this browser)" in page
    response = client.post("/account/sessions/revoke-all", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not signed_in(client) and not signed_in(laptop)


def test_f02_signing_out_one_other_browser(app, client):
    auth = enroll(client, app, ONEOTHER)
    laptop = browser(client)
    login(laptop, auth)
    with app.app_context():
        from idp.store.models import BrowserSession

        newest = BrowserSession.query.order_by(BrowserSession.id.desc()).first().id
    client.post(f"/account/sessions/{newest}/revoke", data={"csrf_token": csrf_token(client)})
    assert signed_in(client) and not signed_in(laptop)
    stranger = browser(client)
    enroll(stranger, app, NOTMINE)
    assert stranger.post(f"/account/sessions/{newest - 1}/revoke",
                         data={"csrf_token": csrf_token(stranger)}).status_code == 404


def test_f02_changing_the_email_needs_a_fresh_touch(email_app, smtp, monkeypatch):  # noqa: F811
    client = email_app.test_client()
    enroll(client, email_app, "mailer")
    later(monkeypatch, 600)
    response = add_email(client, "z@example.org")
    assert response.status_code == 403 and "Confirm with your security key" in response.get_data(as_text=True)
    assert smtp[0].messages == []


# F9 ----------------------------------------------------------------------------------------------

def test_f09_a_login_at_login_does_not_approve_a_planted_request(app, client):
    auth = enroll(client, app, PLANTED)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256"))
    assert client.get(url).status_code == 200               # the attacker's link, loaded and left
    assert login(client, auth).status_code == 200            # an ordinary sign-in at /login
    again = client.get(url)
    assert again.status_code == 200 and "Location" not in again.headers   # a touch is asked for again
    assert login(client, auth, authorize_request=authorize_request_of(again)).status_code == 200
    assert client.get(url).status_code == 302                 # approved by the touch made for it


@pytest.mark.parametrize("bogus", ["0" * 64, "", 7])
def test_f09_a_touch_naming_another_request_approves_nothing(app, client, bogus):
    auth = enroll(client, app, name("namer"))
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    _, challenge = pkce_pair()
    url = authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256"))
    client.get(url)
    assert login(client, auth, authorize_request=bogus).status_code == 200
    assert client.get(url).status_code == 200


def test_f09_enrollment_link_still_logs_in(app, client):
    token = new_invite(app)
    auth = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    options = post_json(client, f"/enroll/{token}/options", {"username": NEWBIE}).get_json()
    assert post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)}).status_code == 200
    assert signed_in(client)


def test_f14_expired_sessions_do_not_pile_up(app, client, monkeypatch):
    from idp.store import inline_sweep
    from idp.store.models import BrowserSession

    auth = enroll(client, app, name("piler"))
    later(monkeypatch, 13 * 3600)
    monkeypatch.setattr(inline_sweep, "_due", {})
    assert login(browser(client), auth).status_code == 200       # the next login sweeps the ended ones
    with app.app_context():
        assert BrowserSession.query.filter(BrowserSession.expires_at < clock.now()).count() == 0
