"""The states a row can be in, as enums instead of bare strings; stored as their plain text values."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class DeviceStatus(StrEnum):
    """An RFC 8628 device authorization: pending → approved/denied → consumed (once)."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CONSUMED = "consumed"


class KeyState(StrEnum):
    """A token-signing key: next (published, not yet signing) → active → retiring → retired."""

    NEXT = "next"
    ACTIVE = "active"
    RETIRING = "retiring"
    RETIRED = "retired"


class KeyCustody(StrEnum):
    """Where a token-signing key's private half lives."""

    DATABASE = "database"       # encrypted PKCS#8 in the signing_keys row
    PKCS11 = "pkcs11"           # inside a PKCS#11 token; never leaves it


class EnumText(TypeDecorator[StrEnum]):
    """A ``String(16)`` column that hands back members of ``enum`` (the stored text is the value)."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[StrEnum], *args: Any, **kwargs: Any) -> None:
        self.enum = enum
        super().__init__(*args, **kwargs)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)
