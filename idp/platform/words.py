"""Translatable sentences (Flask-Babel, typed): ``_`` translates now, ``_l`` when the sentence is shown
(for messages made before the reader's language is known, such as a refusal raised by a service), and
``ngettext`` counts. ``make translations`` extracts every call; outside a request they give English.
idp/web/i18n.py chooses the language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask_babel


def _(text: str, **values: object) -> str:
    """``text`` in the reader's language, with ``%(name)s`` filled from ``values``."""
    return str(flask_babel.gettext(text, **values))


def _l(text: str, **values: object) -> str:
    """Like :func:`_`, but translated only when shown: a lazy string, typed as the ``str`` it becomes."""
    lazy: str = flask_babel.lazy_gettext(text, **values)
    return lazy


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """``singular`` or ``plural`` for ``num`` (``%(num)s`` is filled in), in the reader's language."""
    return str(flask_babel.ngettext(singular, plural, num, **values))


@contextmanager
def english() -> Iterator[None]:
    """Sentences made inside are English (for the audit log, whatever the reader's language)."""
    with flask_babel.force_locale("en"):
        yield
