"""Identities with their kind: a URI matches only a URI SAN, an email only an email SAN, and
``name!domain`` only Fulcio's username OtherName (so one kind can never pose as another)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("uri", "email", "username")


@dataclass(frozen=True, order=True)
class Name:
    """One identity a certificate can name: its kind and its text."""

    kind: str
    value: str

    def __str__(self) -> str:
        return self.value


def parse_name(text: str) -> Name:
    """The kind of identity ``text`` is: ``scheme://…`` a URI, ``user@domain`` an email,
    ``name!domain`` a username; anything else is a :class:`ValueError`."""
    value = text.strip()
    if not value or value != text:
        raise ValueError(f"identity {text!r} must not be empty or start or end with spaces")
    if "://" in value:
        return Name("uri", value)
    if "!" in value and "@" not in value:
        return Name("username", value)
    if value.count("@") == 1 and "!" not in value:
        local, domain = value.split("@")
        if local and "." in domain:
            return Name("email", value)
    raise ValueError(f"identity {text!r} is neither a URI (https://…), an email address nor name!domain")
