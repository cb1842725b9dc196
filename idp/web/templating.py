"""Filters the templates use."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from idp.people.event_words import sentence
from idp.platform.words import _
from idp.web.i18n import when


def utc_time(timestamp: int | float) -> str:
    """A Unix time in the reader's language, to the second, in UTC."""
    return when(datetime.fromtimestamp(timestamp, UTC), seconds=True)


BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
            ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def browser_name(user_agent: str) -> str:
    """``Chrome on Linux`` for a User-Agent header a person would not read; the start of it when
    neither the browser nor the system is known."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (user_agent[:40] or _("unknown browser"))


def register(app: Flask) -> None:
    app.jinja_env.filters["utc_time"] = utc_time
    app.jinja_env.filters["event_sentence"] = lambda event: sentence(event.event, event.details or {})
    app.jinja_env.filters["browser_name"] = browser_name
