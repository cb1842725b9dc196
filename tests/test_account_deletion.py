"""Deleting an account: by the person (fresh touch, typed name) or by an administrator; everything that
is theirs goes, the audit keeps that it happened, and the username is never given out again."""

from __future__ import annotations

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import csrf_token, enroll, new_invite, post_json, sigstore_token
from idp.store.models import AuditEvent, BrowserSession, Credential, SigningRecord, User


def test_a_person_deletes_their_account_and_its_name_is_retired(app, client):
    auth = enroll(client, app, "leaving")
    assert sigstore_token(client, auth)[0].status_code == 200
    with app.app_context():
        number = User.query.filter_by(username="leaving").one().id

    asked = client.post("/account/delete", data={"csrf_token": csrf_token(client)})
    assert asked.status_code == 200 and "Type your username to confirm" in asked.get_data(as_text=True)
    mistyped = client.post("/account/delete", data={"csrf_token": csrf_token(client), "confirm_username": "leavin"})
    assert "nothing was deleted" in mistyped.get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="leaving").count() == 1

    done = client.post("/account/delete", data={"csrf_token": csrf_token(client), "confirm_username": "leaving"},
                       follow_redirects=True)
    assert done.status_code == 200 and "Your account is deleted" in done.get_data(as_text=True)
    assert client.get("/account").status_code == 302                     # signed out
    with app.app_context():
        assert User.query.filter_by(username="leaving").count() == 0
        for model in (Credential, BrowserSession, SigningRecord):
            assert model.query.filter_by(user_id=number).count() == 0
        assert AuditEvent.query.filter_by(user_id=number).count() == 0
        (deleted,) = AuditEvent.query.filter_by(event="account.deleted").all()
        assert deleted.details == {"account": number} and deleted.actor == "leaving" and deleted.user_id is None

    again = app.test_client()
    token = new_invite(app)
    refused = post_json(again, f"/enroll/{token}/options", {"username": "leaving"})
    assert refused.status_code == 409 and refused.get_json()["error"] == "username_taken"


def test_deleting_needs_a_fresh_touch(app, client, monkeypatch):
    from datetime import timedelta

    from idp.platform import clock

    enroll(client, app, "stale-leaver")
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post("/account/delete", data={"csrf_token": csrf_token(client), "confirm_username": "stale-leaver"})
    assert response.status_code == 403 and "Confirm with your security key" in response.get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="stale-leaver").count() == 1


def test_an_administrator_deletes_an_account_from_the_command_line(tmp_path):
    import os

    from idp import create_app
    from idp.platform.config import Settings
    from idp.store.db import db

    env = admin_env(tmp_path / "instance")
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    app = create_app(Settings.from_env(env=env))
    with app.app_context():
        db.session.add(User(username="gone", webauthn_user_id=os.urandom(32), is_admin=False))
        db.session.commit()
    done = hallmark_cli("user", "delete", "gone", "--yes", env=env)
    assert done.returncode == 0 and "gone is deleted; the username is retired" in done.stdout, done.stderr
    with app.app_context():
        from idp.people.account_deletion import retired

        assert User.query.filter_by(username="gone").count() == 0 and retired("gone")
    missing = hallmark_cli("user", "delete", "nobody", "--yes", env=env)
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr and "Traceback" not in missing.stderr
