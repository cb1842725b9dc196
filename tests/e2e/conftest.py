"""Real HTTP server on 127.0.0.1 (once per module) and real headless Chromium (once per session)."""

from __future__ import annotations

import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

from helpers import make_settings
from idp import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """Hallmark served by werkzeug in a thread on http://localhost:PORT."""

    def __init__(self, tmp_path, **overrides):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.app = create_app(make_settings(tmp_path, issuer=self.url, **overrides), create_schema=True)
        self.server = make_server("localhost", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


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
