"""Text from outside — file names, identities from certificates — made safe to print (finding P5).

A file name with a newline could print a fake ``OK: … 2 of 2`` line, and an ANSI escape sequence
could rewrite the terminal. Every character that is not printable is shown as an escape
(``\\n``, ``\\x1b``, ``\\u2028``); everything else, including non-ASCII letters, stays as it is.
"""

from __future__ import annotations

from os import PathLike

ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def shown(value: str | PathLike[str] | object) -> str:
    """``value`` as text with every non-printable character escaped."""
    text = str(value)
    out = []
    for ch in text:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)
