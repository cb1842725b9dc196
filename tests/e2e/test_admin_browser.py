"""The web admin in real Chromium: an administrator does every action from the pages, each audited under
their name; someone who is not an administrator is refused; a stale session is asked for a key touch first."""

from __future__ import annotations

from datetime import timedelta

from hallmark_testing.browser import key_context
from hallmark_testing.helpers import new_invite, unique_name
from idp.people import invites
from idp.store.models import AuditEvent


def enroll_admin(page, live_server) -> str:
    name = unique_name("admin")
    with live_server.app.app_context():
        token = invites.create(admin=True, lifetime=3600)
    page.goto(f"{live_server.url}/enroll/{token}")
    page.fill("#username", name)
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")
    return name


def actions_of(live_server, actor: str) -> list[str]:
    with live_server.app.app_context():
        return [e.event for e in AuditEvent.query.filter_by(actor=actor).order_by(AuditEvent.id)]


def test_an_administrator_does_every_admin_action_from_the_pages(live_server, key_page, browser):
    page = key_page.page
    worker = unique_name("worker")
    other, other_page = key_context(browser)
    other_page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
    other_page.fill("#username", worker)
    other_page.click("#register")
    other_page.wait_for_url(f"{live_server.url}/account")
    other.close()

    boss = enroll_admin(page, live_server)
    page.goto(f"{live_server.url}/admin")
    page.click("#invite")                                                   # an invitation, shown once
    link = page.text_content("#one-time-link")
    assert link.startswith(f"{live_server.url}/enroll/")
    page.goto(f"{live_server.url}/admin")
    page.locator("tr.invite button").first.click()                          # …and ended
    page.wait_for_url(f"{live_server.url}/admin")
    assert "That enrollment link no longer works." in page.text_content("main")

    page.fill("#q", worker)
    page.click("form[action='/admin'] button")
    row = page.locator(f'tr.person[data-username="{worker}"]')
    row.locator("input[name=reason]").fill("lost laptop")
    row.locator("button", has_text="Disable").click()                      # disable, with a reason
    assert f"{worker} is disabled." in page.text_content("main")
    row = page.locator(f'tr.person[data-username="{worker}"]')
    row.locator("input[name=reason]").fill("found it")
    row.locator("button", has_text="Enable").click()
    assert f"{worker} is enabled." in page.text_content("main")
    page.locator(f'tr.person[data-username="{worker}"]').locator("button", has_text="Recovery link").click()
    assert f"recovery link for {worker}" in page.text_content("h1")
    assert actions_of(live_server, boss)[-3:] == ["account.disabled", "account.enabled",
                                                  "account.recovery_link_created"]
    page.goto(f"{live_server.url}/admin?q={worker}")
    page.locator(f'tr.person[data-username="{worker}"]').locator("button.delete-person").click()
    page.fill("#confirm-username", worker)                                 # deleted, after typing the name
    page.click("#confirm-delete")
    page.wait_for_url(f"{live_server.url}/admin")
    assert f"The account {worker} is deleted" in page.text_content("main")

    page.goto(f"{live_server.url}/admin/instance")
    page.fill("#client-id", "wiki-" + worker[-6:])
    page.fill("#redirect-uris", "https://wiki.example/callback")
    page.click("#register-client")
    secret = page.text_content("#client-secret")
    assert len(secret) >= 43
    page.goto(f"{live_server.url}/admin/instance")
    page.locator("tr.client", has_text="wiki-").locator("button.rotate-secret").click()
    assert page.text_content("#client-secret") != secret
    page.goto(f"{live_server.url}/admin/instance")
    page.locator("tr.client", has_text="wiki-").locator("button.danger").click()
    assert "is removed." in page.text_content("main")
    page.click("#rotate-keys")
    assert "Tokens are now signed with" in page.text_content("main")

    page.goto(f"{live_server.url}/admin/audit")
    page.fill("#event", "account.deleted")                        # the worker's own activity went with them
    page.click("form[action='/admin/audit'] button")
    assert boss in page.text_content("#audit") and page.locator("#audit tr.event").count() >= 1
    assert "event=account.deleted" in page.get_attribute("#export-csv", "href")

    # What was done to the worker (disabled with a reason, enabled, a recovery link) was their activity, and
    # went with their account; that the account was deleted stays.
    assert actions_of(live_server, boss) == [
        "user.enrolled", "invite.created", "invite.expired", "account.deleted", "client.added", "client.secret_rotated", "client.removed", "keys.rotated"]


def test_someone_who_is_not_an_administrator_is_refused_every_admin_page(live_server, key_page):
    page = key_page.page
    page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
    page.fill("#username", unique_name("plain"))
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")
    for path in ("/admin", "/admin/audit", "/admin/instance"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403 and "This page is for administrators." in page.text_content("main")


def test_a_stale_administrator_touches_a_key_before_the_change_goes_through(live_server, key_page, monkeypatch):
    from idp.platform import clock

    page = key_page.page
    boss = enroll_admin(page, live_server)
    page.goto(f"{live_server.url}/admin")
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    page.click("#invite")
    page.wait_for_selector("#step-up")
    assert "Confirm with your security key" in page.text_content("main")
    assert actions_of(live_server, boss) == ["user.enrolled"]               # nothing happened yet
    page.click("#step-up")
    page.wait_for_selector("#one-time-link")
    assert actions_of(live_server, boss) == ["user.enrolled", "session.touched", "invite.created"]
