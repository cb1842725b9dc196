"""Render Hallmark's main pages with headless Chromium into docs/screens/ (the README shows them).

A throwaway instance on 127.0.0.1, a virtual security key, and an administrator who enrolls, signs in
and looks around; each page is captured at a desktop width, the account page also at 390 px and in German.

    .venv/bin/python tools/render_screens.py            # or: make screens
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from hallmark_testing.browser import key_context
from hallmark_testing.servers import LiveServer
from idp.people import invites

OUT = Path(__file__).resolve().parents[1] / "docs" / "screens"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        with server.app.app_context():
            link = invites.enrollment_link(server.url, invites.create(admin=True, lifetime=3600, actor="screens"))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                _, page = key_context(browser, viewport={"width": 1000, "height": 900})

                def shot(name: str, path: str | None = None) -> None:
                    if path:
                        page.goto(f"{server.url}{path}")
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                    print(f"wrote docs/screens/{name}.png")

                shot("home", "/")
                shot("login", "/login")
                page.goto(link)
                shot("enroll")
                page.fill("#username", "ada")
                page.click("#register")
                page.wait_for_url(f"{server.url}/account")
                shot("account")
                shot("admin-people", "/admin")
                shot("admin-audit", "/admin/audit")
                shot("admin-instance", "/admin/instance")
                page.set_viewport_size({"width": 390, "height": 844})
                shot("account-phone", "/account")
                page.set_viewport_size({"width": 1000, "height": 900})
                shot("account-de", "/language/de?next=/account")       # the second language
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
