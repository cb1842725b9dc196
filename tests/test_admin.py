"""The web admin: administrators only; every change after a fresh key touch; every change audited as the
administrator's; the audit log filtered and exported."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from hallmark_testing.helpers import csrf_token, enroll
from idp.platform import clock
from idp.store.db import db
from idp.store.models import AuditEvent, Credential, User

LINK_RE = re.compile(r'<code id="one-time-link">(http://localhost/enroll/[A-Za-z0-9_-]+)</code>')


def make_admin(app, client, name: str = "boss"):
    auth = enroll(client, app, name)
    with app.app_context():
        User.query.filter_by(username=name).one().is_admin = True
        db.session.commit()
    return auth


def post(client, path: str, **form):
    return client.post(path, data={"csrf_token": csrf_token(client), **form})


@pytest.mark.parametrize("method, path", [("get", "/admin"), ("get", "/admin/audit"), ("post", "/admin/invites"),
                                          ("post", "/admin/people/someone/disable"),
                                          ("post", "/admin/people/someone/recovery"),
                                          ("post", "/admin/invites/1/expire"), ("get", "/admin/instance"),
                                          ("post", "/admin/clients/web/remove"), ("post", "/admin/keys/rotate"),
                                          ("post", "/admin/clients"), ("post", "/admin/clients/web/rotate"),
                                          ("post", "/admin/people/someone/delete")])
def test_a_person_who_is_not_an_administrator_is_refused(app, client, method, path):
    enroll(client, app, "plain")
    response = client.get(path) if method == "get" else post(client, path, reason="because")
    assert response.status_code == 403 and "for administrators" in response.get_data(as_text=True)


def test_no_one_signed_in_is_sent_to_the_login_page(client):
    assert client.get("/admin").status_code == 302


def test_changes_need_a_fresh_touch(app, client, monkeypatch):
    make_admin(app, client)
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/admin").status_code == 200                        # looking needs no touch
    refused = post(client, "/admin/invites")
    assert refused.status_code == 403 and "Confirm with your security key" in refused.get_data(as_text=True)


def test_an_invitation_made_listed_ended_and_audited(app, client):
    make_admin(app, client)
    made = post(client, "/admin/invites", admin="yes")
    link = LINK_RE.search(made.get_data(as_text=True)).group(1)
    assert "an enrollment link for an administrator" in made.get_data(as_text=True)
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/enroll/{token}").status_code == 200
    page = client.get("/admin").get_data(as_text=True)
    assert page.count('class="invite"') == 1 and "administrator" in page
    with app.app_context():
        event = AuditEvent.query.filter_by(event="invite.created").one()
        assert event.actor == "boss" and event.details == {"admin": True}
        invite_id = db.session.execute(db.text("SELECT id FROM invites WHERE used_at IS NULL")).scalar()
    assert post(client, f"/admin/invites/{invite_id}/expire").status_code == 302
    assert client.get(f"/enroll/{token}").status_code == 404
    assert post(client, f"/admin/invites/{invite_id}/expire").status_code == 404
    with app.app_context():
        assert AuditEvent.query.filter_by(event="invite.expired", actor="boss").count() == 1


def test_disabling_needs_a_reason_and_is_audited_as_the_administrator(app, client):
    enroll(app.test_client(), app, "worker")
    make_admin(app, client)
    without = post(client, "/admin/people/worker/disable", reason="  ")
    assert "Give a reason" in client.get(without.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="worker").one().disabled_at is None
    assert post(client, "/admin/people/worker/disable", reason="lost laptop").status_code == 302
    with app.app_context():
        assert User.query.filter_by(username="worker").one().disabled_at is not None
        event = AuditEvent.query.filter_by(event="account.disabled").one()
        assert event.actor == "boss" and event.details["reason"] == "lost laptop"
    again = post(client, "/admin/people/worker/disable", reason="twice")
    assert "already disabled" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert post(client, "/admin/people/worker/enable", reason="found it").status_code == 302
    with app.app_context():
        assert User.query.filter_by(username="worker").one().disabled_at is None


def test_a_recovery_link_is_shown_once_and_audited(app, client):
    enroll(app.test_client(), app, "forgetful")
    make_admin(app, client)
    made = post(client, "/admin/people/forgetful/recovery")
    assert "a recovery link for forgetful" in made.get_data(as_text=True) and LINK_RE.search(made.get_data(as_text=True))
    assert post(client, "/admin/people/nobody/recovery").status_code == 404
    with app.app_context():
        assert AuditEvent.query.filter_by(event="account.recovery_link_created", actor="boss").count() == 1


def test_the_audit_log_filters_and_exports_without_spreadsheet_formulas(app, client):
    typist = app.test_client()
    enroll(typist, app, "typist")
    with app.app_context():
        key = Credential.query.join(User).filter(User.username == "typist").one().id
    post(typist, f"/account/keys/{key}/rename", name="=HYPERLINK(1)")
    make_admin(app, client)
    page = client.get("/admin/audit?person=typist").get_data(as_text=True)
    assert "You renamed the key" in page and "You enrolled" in page and "boss" not in page.split("<tbody>")[1]
    exported = client.get("/admin/audit?person=typist&format=json").get_json()
    assert {e["event"] for e in exported} >= {"user.enrolled", "credential.renamed"}
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit?event=credential.renamed&format=csv")
                                       .get_data(as_text=True))))
    assert rows[0] == ["at", "event", "actor", "user_id", "security", "details"] and len(rows) == 2
    assert "=HYPERLINK" in rows[1][5] and not rows[1][5].startswith("=")
    assert client.get("/admin?q=typ").get_data(as_text=True).count('class="person"') == 1


def test_the_instance_page_lists_clients_and_keys_removes_a_client_and_rotates_keys(app, client):
    from idp.oauth.client_records import register
    from idp.store.models import SigningKey

    make_admin(app, client)
    with app.app_context():
        register("web", "Web", ["https://app.example/cb"], confidential=True)
        active = SigningKey.query.filter_by(state="active").one().kid
    page = client.get("/admin/instance").get_data(as_text=True)
    assert page.count('class="client"') == 2 and page.count('class="signing-key"') == 2
    assert "No Sigstore stack here" in page and "No TUF repository yet" in page
    assert post(client, "/admin/clients/sigstore/remove").status_code == 302
    assert "cannot be removed" in client.get("/admin/instance").get_data(as_text=True)
    assert post(client, "/admin/clients/web/remove").status_code == 302
    assert client.get("/admin/instance").get_data(as_text=True).count('class="client"') == 1
    assert post(client, "/admin/keys/rotate").status_code == 302
    with app.app_context():
        assert SigningKey.query.filter_by(state="active").one().kid != active
        assert AuditEvent.query.filter_by(event="keys.rotated", actor="boss").count() == 1
        assert AuditEvent.query.filter_by(event="client.removed", actor="boss").count() == 1


def test_an_administrator_cannot_lock_themselves_out_from_the_web(app, client):
    make_admin(app, client)
    enroll(app.test_client(), app, "other")
    page = client.get("/admin").get_data(as_text=True)
    assert 'action="/admin/people/boss/disable"' not in page and 'action="/admin/people/boss/delete"' not in page
    assert 'action="/admin/people/other/disable"' in page and "change your own account on your account page" in page
    refused = post(client, "/admin/people/boss/disable", reason="oops")
    assert "cannot disable or enable your own account" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="boss").one().disabled_at is None


SECRET_RE = re.compile(r'<code id="client-secret">([A-Za-z0-9_-]+)</code>')


def test_a_client_registered_from_the_web_with_its_secret_shown_once_then_rotated(app, client):
    from idp.oauth.client_records import find, secret_matches

    make_admin(app, client)
    made = post(client, "/admin/clients", client_id="wiki", name="The wiki",
                redirect_uris="https://wiki.example/callback\r\n  https://wiki.example/cb2  \r\n")
    assert made.status_code == 200
    first = SECRET_RE.search(made.get_data(as_text=True)).group(1)
    with app.app_context():
        wiki = find("wiki")
        assert wiki.redirect_uris == ["https://wiki.example/callback", "https://wiki.example/cb2"]
        assert wiki.name == "The wiki" and secret_matches(wiki, first) and first not in wiki.secret_hash
    assert first not in client.get("/admin/instance").get_data(as_text=True)        # shown once, never again
    rotated = post(client, "/admin/clients/wiki/rotate")
    second = SECRET_RE.search(rotated.get_data(as_text=True)).group(1)
    with app.app_context():
        wiki = find("wiki")
        assert second != first and secret_matches(wiki, second) and not secret_matches(wiki, first)
        assert AuditEvent.query.filter_by(event="client.added", actor="boss").count() == 1
        assert AuditEvent.query.filter_by(event="client.secret_rotated", actor="boss").count() == 1


def test_a_public_client_has_no_secret_to_rotate(app, client):
    make_admin(app, client)
    made = post(client, "/admin/clients", client_id="cli-tool", redirect_uris="http://127.0.0.1:9000/cb",
                public="yes", fresh_touch="yes")
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "The public client &#39;cli-tool&#39; is registered." in page and 'action="/admin/clients/cli-tool/rotate"' not in page
    refused = post(client, "/admin/clients/cli-tool/rotate")
    assert "is a public client: it has no secret" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "no client" in client.get(post(client, "/admin/clients/ghost/rotate").headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(("form", "said"), [
    ({"client_id": "x", "redirect_uris": "https://a.example/cb"}, "client id must be 3-64 characters"),
    ({"client_id": "plain", "redirect_uris": "http://a.example/cb"}, "must be https://"),
    ({"client_id": "frag", "redirect_uris": "https://a.example/cb#x"}, "must not contain a fragment"),
    ({"client_id": "none", "redirect_uris": "  "}, "at least one redirect URI is required"),
    ({"client_id": "sigstore", "redirect_uris": "https://a.example/cb"}, "already exists"),
])
def test_a_bad_client_registration_changes_nothing_and_says_why(app, client, form, said):
    from idp.store.models import Client

    make_admin(app, client)
    with app.app_context():
        before = Client.query.count()
    refused = post(client, "/admin/clients", **form)
    assert said in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert Client.query.count() == before
        assert AuditEvent.query.filter_by(event="client.added").count() == 0


def test_client_changes_need_a_fresh_touch(app, client, monkeypatch):
    make_admin(app, client)
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    for path in ("/admin/clients", "/admin/clients/sigstore/rotate"):
        refused = post(client, path, client_id="late", redirect_uris="https://late.example/cb")
        assert refused.status_code == 403 and "Confirm with your security key" in refused.get_data(as_text=True)
    from idp.store.models import Client

    with app.app_context():
        assert Client.query.filter_by(client_id="late").count() == 0


def test_the_audit_log_filters_by_day(app, client):
    make_admin(app, client)
    with app.app_context():
        old = AuditEvent(event="instance.backed_up", actor="cron", security=False, details={},
                         at=clock.now() - timedelta(days=40))
        db.session.add(old)
        db.session.commit()
    today = clock.now().date()
    before = (today - timedelta(days=30)).isoformat()
    recent = client.get(f"/admin/audit?since={before}").get_data(as_text=True)
    assert 'data-event="user.enrolled"' in recent and 'data-event="instance.backed_up"' not in recent
    older = client.get(f"/admin/audit?until={before}&format=json").get_json()
    assert [e["event"] for e in older] == ["instance.backed_up"]
    page = client.get(f"/admin/audit?until={before}&event=instance.backed_up").get_data(as_text=True)
    assert f"since=&amp;until={before}" in page or f"until={before}" in page        # the export keeps the filter
    bad = client.get("/admin/audit?since=yesterday").get_data(as_text=True)
    assert "Not a day (YYYY-MM-DD), so not used:" in bad and 'data-event="instance.backed_up"' in bad


def test_an_administrator_deletes_an_account_after_typing_its_name(app, client):
    from idp.people.account_deletion import retired

    enroll(app.test_client(), app, "leaver")
    make_admin(app, client)
    asked = post(client, "/admin/people/leaver/delete")
    assert asked.status_code == 200 and "Delete the account leaver?" in asked.get_data(as_text=True)
    mistyped = post(client, "/admin/people/leaver/delete", confirm_username="lever")
    assert "nothing was deleted" in mistyped.get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="leaver").count() == 1
    done = post(client, "/admin/people/leaver/delete", confirm_username="leaver")
    assert done.status_code == 302
    assert "The account leaver is deleted" in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="leaver").count() == 0 and retired("leaver")
        event = AuditEvent.query.filter_by(event="account.deleted").one()
        assert event.actor == "boss" and event.user_id is None and "leaver" not in str(event.details)
    assert post(client, "/admin/people/leaver/delete", confirm_username="leaver").status_code == 404
    own = post(client, "/admin/people/boss/delete", confirm_username="boss")
    assert "on your account page" in client.get(own.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert User.query.filter_by(username="boss").count() == 1
