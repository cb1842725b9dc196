"""Files holding secrets: created once, readable only by their owner, written durably; and token digests."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a *new* file with mode 0600 and fsync it; ``FileExistsError`` if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_or_create(path: Path, length: int = 48) -> str:
    """The secret in ``path``, generating a random one (``length`` bytes, URL-safe) on first use."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(length).encode())
    return path.read_text().strip()


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of a high-entropy token: what the database stores instead of the token."""
    return hashlib.sha256(value.encode()).hexdigest()
