"""Every audit event Hallmark records reads as a sentence on the account page; the machine name stays."""

from __future__ import annotations

import re
from pathlib import Path

from hallmark_testing.helpers import enroll
from idp.people.event_words import SENTENCES, sentence

IDP = Path(__file__).resolve().parents[1] / "idp"


def test_every_event_the_code_records_has_its_own_sentence():
    recorded = {name for path in IDP.rglob("*.py")
                for name in re.findall(r'audit\.record\(\s*"([a-z_.]+)"', path.read_text())}
    assert recorded and recorded - set(SENTENCES) == set()


def test_sentences_say_what_happened_with_the_details():
    assert sentence("credential.added", {"credential": "YubiKey 5C"}) == "You added the key 'YubiKey 5C'."
    assert sentence("credential.renamed", {"old": "a", "new": "b"}) == "You renamed the key 'a' to 'b'."
    assert sentence("session.revoked_all", {"sessions": 1}) == "You signed out everywhere (1 browser)."
    assert sentence("monitor.token_reused", {"finding": "2 certificates came from one login."}) == \
        "2 certificates came from one login."
    assert sentence("something.new_here", {}) == "Something new here."


def test_the_account_page_shows_sentences_and_escapes_what_people_typed(app, client):
    enroll(client, app, "wordy")
    page = client.get("/account").get_data(as_text=True)
    assert "You enrolled" in page and 'data-event="user.enrolled"' in page
    assert "user.enrolled admin=" not in page
    from idp.people import audit
    from idp.store.db import db
    from idp.store.models import User

    with app.app_context():
        audit.record("credential.renamed", user=User.query.filter_by(username="wordy").one(), old="x",
                     new="<script>alert(1)</script>")
        db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_activity_pages_and_shows_failed_sign_ins(app, client):
    from idp.people import audit
    from idp.store.db import db
    from idp.store.models import User

    enroll(client, app, "busy")
    with app.app_context():
        user = User.query.filter_by(username="busy").one()
        for n in range(30):
            audit.record("credential.renamed", user=user, old=f"k{n}", new=f"k{n + 1}")
        audit.record("login.failed", user=user, security=True, reason="concurrent use of the same credential")
        db.session.commit()
    first = client.get("/account").get_data(as_text=True)
    assert first.count('class="event') == 25 and 'id="older-activity"' in first and 'id="newer-activity"' not in first
    assert "A sign-in was refused: concurrent use of the same credential." in first        # newest first, in red
    assert 'class="event security" data-event="login.failed"' in first
    second = client.get("/account?activity=2").get_data(as_text=True)
    assert second.count('class="event') == 7 and 'id="newer-activity"' in second and "You enrolled" in second
    assert client.get("/account?activity=nonsense").status_code == 200


def test_a_person_downloads_everything_hallmark_holds_about_them(app, client, monkeypatch):
    """After a fresh touch: the account, the keys, the sessions, the signing records and the activity,
    with no digest of a one-time secret; a stale session is asked for a touch first."""
    from datetime import timedelta

    from hallmark_testing.helpers import csrf_token, sigstore_token
    from idp.platform import clock

    auth = enroll(client, app, "exporter")
    assert sigstore_token(client, auth)[0].status_code == 200
    response = client.post("/account/data", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["username"] == "exporter"
    assert data["credentials"] and data["credentials"][0]["name"] == "Test key"
    assert data["browser_sessions"] and data["signing_records"] and data["audit_events"]
    assert not any(key.endswith("_hash") for rows in data.values() if isinstance(rows, list)
                   for row in rows for key in row)
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    stale = client.post("/account/data", data={"csrf_token": csrf_token(client)})
    assert stale.status_code == 403 and "Confirm with your security key" in stale.get_data(as_text=True)
