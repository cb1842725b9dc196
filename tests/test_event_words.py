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
