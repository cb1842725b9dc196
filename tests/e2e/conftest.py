"""Real HTTP server on 127.0.0.1 (once per module) and real headless Chromium (once per session)."""

from __future__ import annotations

import shutil

import pytest

from servers import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium") and not shutil.which("/usr/bin/chromium"):
        pytest.fail("chromium is not installed: run 'make test' (it installs Debian's chromium)")
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class KeyPage:
    """A browser page with a CDP virtual authenticator (CTAP2, resident keys, UV)."""

    OPTIONS = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
               "isUserVerified": True, "automaticPresenceSimulation": True}

    def __init__(self, browser):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        self.authenticator = self.new_authenticator()

    def new_authenticator(self) -> str:
        self.authenticator = self.cdp.send("WebAuthn.addVirtualAuthenticator",
                                           {"options": self.OPTIONS})["authenticatorId"]
        return self.authenticator

    def remove_authenticator(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.authenticator})

    def close(self):
        self.context.close()


@pytest.fixture
def key_page(browser):
    page = KeyPage(browser)
    yield page
    page.close()
