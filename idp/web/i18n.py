"""The pages in the reader's language: Flask-Babel, English and German, chosen by the language switcher's
cookie, else the browser's ``Accept-Language``; dates and times formatted for that language, in UTC.

Messages live in ``idp/translations`` (``make translations`` extracts, updates and compiles them;
``tests/test_translations.py`` keeps every message translated). Outside a request (the CLI, mail,
the monitor) everything is English.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, format_datetime, get_locale

from idp.platform.words import _

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT = "en"
COOKIE = "hallmark_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# The day as each language writes it, and a 24-hour clock (to the minute; ``:ss`` is added for seconds).
_TIMES = {"en": "d MMM y, HH:mm", "de": "dd.MM.y, HH:mm"}


def chosen_language() -> str:
    """The switcher's choice if it names a language we have, else the browser's best match, else English."""
    if not has_request_context():
        return DEFAULT
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT) or DEFAULT


def when(moment: datetime | None, seconds: bool = False) -> str:
    """A moment as the reader's language writes it, in UTC ("7 Dec 2026, 15:02 UTC", "07.12.2026, 15:02 UTC";
    with ``seconds``, "7 Dec 2026, 15:02:09 UTC")."""
    if moment is None:
        return _("never")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    pattern = _TIMES[str(get_locale())]
    return f"{format_datetime(moment, pattern + (':ss' if seconds else ''))} UTC"


def register(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    Babel(app, locale_selector=chosen_language)
    app.jinja_env.policies["ext.i18n.trimmed"] = True     # {% trans %} blocks as one line (babel.cfg agrees)
    app.jinja_env.filters["when"] = when

    @app.context_processor
    def languages() -> dict[str, object]:
        from idp.web.script_words import script_words

        return {"languages": LANGUAGES, "language": str(get_locale() or DEFAULT), "script_words": script_words}
