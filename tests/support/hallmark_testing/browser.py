"""Chromium pages with a virtual security key (CTAP2, resident keys, user verification), through CDP."""

from __future__ import annotations

from typing import Any

VIRTUAL_KEY = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
               "isUserVerified": True, "automaticPresenceSimulation": True}


def key_context(browser, **context_options: Any):
    """A new browser context (``locale``, ``bypass_csp``, … as Playwright takes them) and a page in it
    that holds one virtual security key. Close the context when done."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_KEY})
    return context, page
