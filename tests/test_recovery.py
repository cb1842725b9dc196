"""Admin recovery for a person who lost every key: a one-time link bound to their account."""

from __future__ import annotations

from hallmark_testing.helpers import enroll, post_json
from hallmark_testing.softauthn import SoftAuthenticator
from idp.people import invites
from idp.store.models import AuditEvent, Credential, User


def recovery_link(app, username: str) -> str:
    with app.app_context():
        user = User.query.filter_by(username=username).one()
        return invites.create(admin=False, lifetime=86400, recover_user_id=user.id)


def test_recovery_adds_a_key_and_revokes_the_lost_ones(app, client):
    lost = enroll(client, app, "forgetful")
    token = recovery_link(app, "forgetful")
    other = app.test_client()
    page = other.get(f"/enroll/{token}").get_data(as_text=True)
    assert "Recover the account forgetful" in page
    new_key = SoftAuthenticator()
    options = post_json(other, f"/enroll/{token}/options", {"username": "ignored"}).get_json()
    assert options["user"]["name"] == "forgetful"
    assert post_json(other, f"/enroll/{token}/verify", {"credential": new_key.create(options)}).status_code == 200
    with app.app_context():
        user = User.query.filter_by(username="forgetful").one()
        assert [c.credential_id for c in user.active_credentials] == [new_key.credential_id]
        assert Credential.query.filter_by(credential_id=lost.credential_id).one().revoked_at is not None
        assert AuditEvent.query.filter_by(user_id=user.id, event="account.recovered").count() == 1
        assert User.query.count() == 1
    assert "account.recovered" in other.get("/account").get_data(as_text=True)
    assert other.get(f"/enroll/{token}").status_code == 404           # single use


def test_the_old_key_no_longer_logs_in(app, client):
    from hallmark_testing.helpers import login

    lost = enroll(client, app, "revoked")
    token = recovery_link(app, "revoked")
    other = app.test_client()
    options = post_json(other, f"/enroll/{token}/options", {}).get_json()
    post_json(other, f"/enroll/{token}/verify", {"credential": SoftAuthenticator().create(options)})
    fresh = app.test_client()
    assert login(fresh, lost).status_code == 400
