"""Browser: invite → enroll → log out → log in (discoverable) → add a second key → revoke it."""

import re

from hallmark_testing.helpers import new_invite


def enroll_in(page, live_server, username: str) -> None:
    """Enroll ``username`` through a fresh invitation in ``page``; ends on the account page."""
    page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
    page.fill("#username", username)
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/account")


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
    assert "Revoke “Backup key”?" in page.text_content("main")          # every revocation asks first
    page.click("#confirm-revoke")
    page.wait_for_url(f"{live_server.url}/account")
    assert page.locator("tr.key").count() == 1
    assert "You revoked the key 'Backup key'." in page.text_content("#audit")        # words, not event names
    assert page.locator('#audit tr[data-event="credential.revoked"]').count() == 1     # the machine name stays


def test_revoking_last_key_asks_for_confirmation(live_server, key_page):
    page = key_page.page
    enroll_in(page, live_server, "dave")
    page.locator("button.revoke").click()
    assert "only security key" in page.text_content("main")
    page.click("#confirm-revoke")
    # The session was made with that key, so it ends with it (finding F2): back to the login page.
    page.wait_for_url(f"{live_server.url}/login")
    assert "no keys left" in page.text_content("main")
    page.goto(f"{live_server.url}/account")
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)account$"))


def test_a_stale_session_confirms_a_key_revocation_with_a_touch(live_server, key_page, monkeypatch):
    """Finding F2 in the browser: ten minutes after the login, revoking a key first asks for a touch
    of one's own key (the step-up page), then goes on with the same request."""
    from datetime import timedelta

    from idp.platform import clock

    page = key_page.page
    enroll_in(page, live_server, "stale")
    later = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    page.locator("button.revoke").click()
    page.wait_for_selector("#step-up")
    assert "Confirm with your security key" in page.text_content("main")
    page.click("#step-up")
    page.wait_for_selector("#confirm-revoke")                  # the touch was fresh: on to the usual question
    assert "only security key" in page.text_content("main")


def test_sign_out_everywhere_in_the_browser(live_server, key_page):
    page = key_page.page
    enroll_in(page, live_server, "everywhere")
    assert page.locator("tr.browser-session").count() == 1
    assert "(this browser)" in page.text_content("#sessions")
    page.click("#sign-out-everywhere")
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/account")
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)account$"))


def test_an_unknown_username_at_sign_in_says_to_check_the_name(live_server, key_page):
    """Issue 17: the key offers no account of that name; the page says so instead of 'cancelled'."""
    page = key_page.page
    page.goto(f"{live_server.url}/login")
    page.click("summary")
    page.fill("#login-username", "nobody-here")
    page.click("#login-with-username")
    page.locator("#status", has_text="did not offer").wait_for(timeout=90000)
    assert 'account named "nobody-here"' in page.text_content("#status")


def test_the_account_page_fits_a_phone_and_says_how_to_sign(live_server, key_page):
    """At 390 px the page needs no horizontal scroll (the tables scroll inside their cards), and after
    enrollment it says how to sign with this instance."""
    page = key_page.page
    page.set_viewport_size({"width": 390, "height": 844})
    enroll_in(page, live_server, "phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the account page is {width} px wide on a 390 px screen"
    steps = page.text_content("#next-steps")
    assert "hallmark sign" in steps and f"--identity {live_server.url}/u/phone --issuer {live_server.url}" in steps
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_no_page_loads_anything_from_another_origin(live_server, key_page):
    """Every request the pages make (scripts, styles, icons, forms) goes to this origin: nothing is fetched
    from a CDN or a font service, so no third party learns who visits."""
    page = key_page.page
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/login")
    enroll_in(page, live_server, "sameorigin")
    page.goto(f"{live_server.url}/u/sameorigin")
    page.goto(f"{live_server.url}/device")
    assert seen and all(url.startswith(f"{live_server.url}/") for url in seen), \
        [url for url in seen if not url.startswith(live_server.url)]
    assert any(url.endswith("/static/favicon.svg") for url in seen)
