"""Fixtures: a fresh app per test on its own instance folder, and its test client."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hallmark_testing.browser import VIRTUAL_KEY
from hallmark_testing.helpers import SOFTHSM_MODULE, make_settings  # noqa: E402
from idp import create_app  # noqa: E402


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server per test process (started on first use)."""
    from hallmark_testing import pg

    yield from pg.running()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Every test that touches the database runs on the embedded SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres").database()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request) -> str:
    """The same, for servers started once per module."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres").database()


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def app(settings):
    app = create_app(settings, create_schema=True)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    try:
        import playwright.sync_api as playwright_sync
    except ImportError as exc:      # a missing component fails the run, never skips it
        pytest.fail(f"the browser tests need playwright ({exc}): run 'make test-deps'")
    if not shutil.which("chromium") and not shutil.which("/usr/bin/chromium"):
        pytest.fail("chromium is not installed: run 'make test' (it installs Debian's chromium)")
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class KeyPage:
    """A browser page with a CDP virtual authenticator (CTAP2, resident keys, UV)."""

    OPTIONS = VIRTUAL_KEY

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


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """One initialised SoftHSM2 token for the session (SoftHSM reads its config once per process)."""
    if not shutil.which("softhsm2-util") or not os.path.exists(SOFTHSM_MODULE):
        pytest.fail("SoftHSM2 is not installed: run 'make test' (it installs Debian's softhsm2)")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "hallmark", "--pin", "246810",
                    "--so-pin", "13579"], check=True, capture_output=True)
    pin_file = folder / "pin"
    pin_file.write_text("246810\n")
    return pin_file
