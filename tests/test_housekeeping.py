"""``hallmark db purge``: short-lived rows go once they can no longer matter; nothing else does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import (
    authorize_params,
    authorize_request_of,
    authorize_url,
    enroll,
    login,
    pkce_pair,
    post_json,
    sigstore_token,
)
from idp.platform import clock
from idp.store.housekeeping import purge_expired
from idp.store.models import (
    AuditEvent,
    AuthorizationCode,
    Challenge,
    DeviceCode,
    IssuedToken,
    LoginGrant,
    User,
)


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: model.query.count()
                for model in (IssuedToken, AuthorizationCode, Challenge, LoginGrant, DeviceCode, AuditEvent, User)}


def purge_at(app, monkeypatch, seconds: int) -> dict[str, int]:
    later = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():
        return purge_expired(app.extensions["hallmark"])


@pytest.fixture
def used(app, client):
    """A signing token issued, a login left unfinished, a device flow started."""
    auth = enroll(client, app, "keeper")
    response, _ = sigstore_token(client, auth)
    assert response.status_code == 200
    post_json(app.test_client(), "/login/options")
    assert app.test_client().post("/device/authorize", data={"client_id": "sigstore"}).status_code == 200
    before = counts(app)
    assert all(before[name] >= 1 for name in ("IssuedToken", "AuthorizationCode", "Challenge", "LoginGrant",
                                              "DeviceCode"))
    return before


def test_nothing_is_purged_before_it_expires(app, used, monkeypatch):
    assert sum(purge_at(app, monkeypatch, 0).values()) == 0
    assert counts(app) == used


def test_challenges_and_key_touches_go_after_five_minutes_codes_stay_while_their_tokens_live(app, used, monkeypatch):
    purged = purge_at(app, monkeypatch, 301)
    assert purged["challenges"] >= 1 and purged["login grants"] == used["LoginGrant"]
    assert purged["authorization codes"] == purged["token records"] == purged["device codes"] == 0


def test_everything_short_lived_goes_once_expired_and_the_audit_log_stays(app, used, monkeypatch):
    purge_at(app, monkeypatch, 60 + 600 + 1)
    after = counts(app)
    assert {name: after[name] for name in ("IssuedToken", "AuthorizationCode", "Challenge", "LoginGrant",
                                           "DeviceCode")} == dict.fromkeys(
        ("IssuedToken", "AuthorizationCode", "Challenge", "LoginGrant", "DeviceCode"), 0)
    assert after["AuditEvent"] == used["AuditEvent"] and after["User"] == used["User"]


def test_a_key_touch_older_than_five_minutes_does_not_approve_a_signing_request(app, client, monkeypatch):
    auth = enroll(client, app, "slowpoke")
    _, challenge = pkce_pair()
    url = authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256"))
    page = client.get(url)
    assert page.status_code == 200                                    # the sign-in page asks for a touch
    assert login(client, auth, authorize_request=authorize_request_of(page)).status_code == 200
    later = clock.now() + timedelta(seconds=301)
    monkeypatch.setattr(clock, "now", lambda: later)
    again = client.get(url)
    assert again.status_code == 200 and "Location" not in again.headers   # asked again, no code


def test_the_purge_command_reports_what_it_deleted(tmp_path):
    done = hallmark_cli("db", "purge", env=admin_env(tmp_path / "instance"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("purged 0 token records, 0 authorization codes, 0 challenges, 0 login grants, "
                                   "0 device codes, 0 signing records")


def test_large_purges_go_in_batches_and_miss_nothing(app, used, monkeypatch):
    later = clock.now() + timedelta(seconds=60 + 600 + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():
        purged = purge_expired(app.extensions["hallmark"], batch_size=1)
    assert purged == {"token records": used["IssuedToken"], "authorization codes": used["AuthorizationCode"],
                      "challenges": used["Challenge"], "login grants": used["LoginGrant"],
                      "device codes": used["DeviceCode"], "signing records": 0}   # kept for months
