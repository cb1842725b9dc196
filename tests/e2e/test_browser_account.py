"""Browser: invite → enroll → log out → log in (discoverable) → add a second key → revoke it."""

from helpers import new_invite


def test_enroll_login_add_and_revoke_key(live_server, key_page):
    page = key_page.page
    token = new_invite(live_server.app)
    page.goto(f"{live_server.url}/enroll/{token}")
    page.fill("#username", "carol")
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")
    assert page.text_content("#identity") == f"{live_server.url}/u/carol"

    page.click("#logout")
    page.wait_for_url(f"{live_server.url}/login")
    page.click("#login")
    page.wait_for_url(f"{live_server.url}/account")
    assert page.locator("tr.key").count() == 1

    key_page.remove_authenticator()       # a second, different key
    key_page.new_authenticator()
    page.fill("#key-name", "Backup key")
    page.click("#add-key")
    page.wait_for_url(f"{live_server.url}/account")
    page.wait_for_selector("tr.key >> nth=1")
    assert page.locator("tr.key").count() == 2

    page.locator("tr.key >> nth=1").locator("button.revoke").click()
    page.wait_for_url(f"{live_server.url}/account")
    assert page.locator("tr.key").count() == 1
    assert "credential.revoked" in page.text_content("#audit")


def test_revoking_last_key_asks_for_confirmation(live_server, key_page):
    page = key_page.page
    page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
    page.fill("#username", "dave")
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")
    page.locator("button.revoke").click()
    assert "only security key" in page.text_content("main")
    page.click("#confirm-revoke")
    # The session was made with that key, so it ends with it (finding F2): back to the login page.
    page.wait_for_url(f"{live_server.url}/login")
    assert "no keys left" in page.text_content("main")
    page.goto(f"{live_server.url}/account")
    page.wait_for_url(f"{live_server.url}/login?next=%2Faccount")
