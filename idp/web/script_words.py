"""The sentences webauthn.js shows, translated on the server: base.html writes them into the page as JSON
(data, not code, so the strict Content-Security-Policy stands), and the script looks each one up."""

from __future__ import annotations

from flask_babel import get_locale

from idp.platform.words import _l, english

SENTENCES = (
    _l("Preparing…"),
    _l("Touch your security key…"),
    _l("Checking…"),
    _l("Confirm with one of your keys first…"),
    _l("The security key request was cancelled or timed out."),
    _l("This security key is already registered."),
    _l("Tick the box to confirm that you started this request yourself."),
    _l("This browser does not support security keys (WebAuthn)."),
    _l("Unexpected answer from the server."),
    _l("Request failed ({status})."),
    _l('Your key did not offer an account named "{username}", or the request was cancelled or timed out. '
       "Check the username, or use the key you enrolled with it."),
)

_made: dict[str, dict[str, str]] = {}       # per language: the catalogues do not change while Hallmark runs


def script_words() -> dict[str, str]:
    """Each English sentence of webauthn.js (as the script writes it), mapped to the reader's language."""
    language = str(get_locale())
    if language not in _made:
        with english():
            originals = [str(sentence) for sentence in SENTENCES]
        _made[language] = {original: str(sentence) for original, sentence in zip(originals, SENTENCES, strict=True)}
    return _made[language]
