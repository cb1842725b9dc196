"""The sentences webauthn.js shows, translated on the server: base.html writes them into the page as JSON
(data, not code, so the strict Content-Security-Policy stands), and the script looks each one up."""

from __future__ import annotations

from flask_babel import get_locale

from idp.platform.words import _

_made: dict[str, dict[str, str]] = {}       # per language: the catalogues do not change while Hallmark runs


def script_words() -> dict[str, str]:
    """Each English sentence of webauthn.js, mapped to the reader's language."""
    language = str(get_locale())
    if language not in _made:
        _made[language] = _words()
    return _made[language]


def _words() -> dict[str, str]:
    return {
        "Preparing…": _("Preparing…"),
        "Touch your security key…": _("Touch your security key…"),
        "Checking…": _("Checking…"),
        "Confirm with one of your keys first…": _("Confirm with one of your keys first…"),
        "The security key request was cancelled or timed out.":
            _("The security key request was cancelled or timed out."),
        "This security key is already registered.": _("This security key is already registered."),
        "Tick the box to confirm that you started this request yourself.":
            _("Tick the box to confirm that you started this request yourself."),
        "This browser does not support security keys (WebAuthn).":
            _("This browser does not support security keys (WebAuthn)."),
        "Unexpected answer from the server.": _("Unexpected answer from the server."),
        "Request failed ({status}).": _("Request failed ({status})."),
        'Your key did not offer an account named "{username}", or the request was cancelled or timed out. '
        "Check the username, or use the key you enrolled with it.":
            _('Your key did not offer an account named "{username}", or the request was cancelled or timed out. '
              "Check the username, or use the key you enrolled with it."),
    }
