"""Your data, in real Chromium: a person downloads everything Hallmark holds about them, then deletes their
account (a mistyped name deletes nothing); the name is retired for good."""

from __future__ import annotations

import json
from pathlib import Path

from hallmark_testing.helpers import new_invite, unique_name
from idp.store.models import AuditEvent, User


def test_download_my_data_then_delete_my_account(live_server, key_page):
    page = key_page.page
    name = unique_name("mine")
    page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
    page.fill("#username", name)
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")

    with page.expect_download() as waiting:
        page.click("#download-data")
    download = waiting.value
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    text = json.dumps(data)
    assert name in text and "Security key" in text                 # the account and its key
    assert "token_hash" not in text                                  # no digests of one-time secrets

    page.click("#delete-account")
    page.fill("#confirm-username", name + "x")
    page.click("#confirm-delete")
    assert "nothing was deleted" in page.text_content("main")
    page.fill("#confirm-username", name)
    page.click("#confirm-delete")
    page.wait_for_url(f"{live_server.url}/")
    assert "Your account is deleted" in page.text_content("main")
    with live_server.app.app_context():
        assert User.query.filter_by(username=name).count() == 0
        assert AuditEvent.query.filter_by(event="account.deleted", actor=name).count() == 1
    assert page.goto(f"{live_server.url}/account").url.startswith(f"{live_server.url}/login")

    page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")   # the name is retired for good
    page.fill("#username", name)
    page.click("#register")
    page.locator("#status", has_text=f"The username '{name}' is taken.").wait_for()
