"""What the people services need to know about a person, as protocols: the ORM ``User`` (the account
pages follow its relationships) and the light ``Account`` (the OAuth hot path reads one row) both
qualify, so neither has to pretend to be the other."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Person(Protocol):
    """Someone with an account: enough to name them in the audit log."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...


class IdentityHolder(Person, Protocol):
    """A person as their tokens describe them: the username, and the email address once proven."""

    @property
    def email(self) -> str | None: ...

    @property
    def email_verified_at(self) -> datetime | None: ...
