"""Both languages in real Chromium: a German browser gets German pages, script messages and refusals; the
switcher changes the language and keeps it; enrollment and the account page work the same in both."""

from __future__ import annotations

import re

from hallmark_testing.browser import key_context
from hallmark_testing.helpers import new_invite


def german_page(browser):
    return key_context(browser, locale="de-DE")


def test_a_german_browser_enrolls_in_german_and_switches_to_english(browser, live_server):
    context, page = german_page(browser)
    try:
        page.goto(f"{live_server.url}/enroll/{new_invite(live_server.app)}")
        assert page.get_attribute("html", "lang") == "de"
        assert page.text_content("h1") == "Ihre Hallmark-Identität anlegen"
        page.fill("#username", "Nope")                       # refused by the server: the sentence is German
        page.click("#register")
        page.locator("#status", has_text="Benutzernamen haben 3–32 Zeichen").wait_for()
        page.fill("#username", "greta")
        page.click("#register")
        page.wait_for_url(f"{live_server.url}/account")
        assert "Sie haben sich registriert." in page.text_content("#audit")
        assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC", page.text_content("#keys"))
        assert page.text_content("tr.key td.model").strip() == "Nicht offengelegt"

        page.click("#language-en")                             # the switcher, back to the same page
        page.wait_for_url(f"{live_server.url}/account")
        assert page.get_attribute("html", "lang") == "en"
        assert "You enrolled." in page.text_content("#audit")
        page.goto(f"{live_server.url}/")                        # and the choice holds on the next page
        assert page.text_content("#sign-in, #account").strip() == "Your account"
    finally:
        context.close()


def test_the_script_speaks_german_when_a_key_offers_no_account(browser, live_server):
    context, page = german_page(browser)
    try:
        page.goto(f"{live_server.url}/login")
        page.click("summary")
        page.fill("#login-username", "nobody")
        page.click("#login-with-username")
        page.locator("#status", has_text="Die Antwort des Sicherheitsschlüssels wurde nicht angenommen").or_(
            page.locator("#status", has_text="Ihr Schlüssel hat kein Konto namens „nobody“")).wait_for()
    finally:
        context.close()
