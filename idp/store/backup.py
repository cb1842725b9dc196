"""Backups: a consistent snapshot of every table plus the instance secrets, optionally encrypted.

The document is JSON (portable between SQLite and PostgreSQL). With a passphrase it is sealed
with AES-256-GCM under a scrypt-derived key (both from ``cryptography``).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Connection, DateTime, Integer, LargeBinary, func, select, text
from sqlalchemy.types import TypeEngine

from idp.platform import clock
from idp.platform.secretfiles import write_private
from idp.store.db import db

FORMAT = "hallmark-backup"
SECRET_FILES = ("secret-key", "key-passphrase")
SEALED = b"HALLMARK-BACKUP-SEALED-1\n"
SEALED_V2 = b"HALLMARK-BACKUP-SEALED-2\n"


Document = dict[str, Any]        # a backup: format, version, schema revision, tables, secrets


class BackupError(ValueError):
    """The backup cannot be written or restored; the message says why."""


def _base(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    """The underlying type of a TypeDecorator (e.g. ``UTCDateTime`` → ``DateTime``)."""
    base: TypeEngine[Any] = getattr(column_type, "impl", column_type)
    return base


def encode(value: Any, column_type: TypeEngine[Any]) -> Any:
    """A column value as JSON takes it: bytes in base64, times in ISO 8601 (the backup and the data export)."""
    column_type = _base(column_type)
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode()
    if isinstance(column_type, DateTime):
        return value.isoformat()
    return value


def _decode(value: Any, column_type: TypeEngine[Any]) -> Any:
    column_type = _base(column_type)
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    return value


def _revision(connection: Connection) -> str | None:
    try:
        found: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return found
    except Exception:  # no alembic table: a schema made by create_all (tests)
        return None


def snapshot(instance_path: Path) -> Document:
    """Every table, read in one transaction, plus the instance's generated secrets."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            revision = _revision(connection)
            for table in db.metadata.sorted_tables:
                rows = connection.execute(select(table)).mappings().all()
                tables[table.name] = [{c.name: encode(row[c.name], c.type) for c in table.columns} for row in rows]
    found = {name: (instance_path / name).read_text() for name in SECRET_FILES if (instance_path / name).exists()}
    return {"format": FORMAT, "version": 1, "schema_revision": revision,
            "created_at": clock.now().isoformat(), "tables": tables, "secrets": found}


SCRYPT_LOG2_N = 17           # 2^17 x r=8: 128 MiB and ~0.6 s per derivation here (OWASP's scrypt minimum)
LEGACY_LOG2_N = 15           # backups sealed before version 2 of the sealed format


def _kdf(salt: bytes, log2_n: int = SCRYPT_LOG2_N) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=2 ** log2_n, r=8, p=1)


def seal(document: Document, passphrase: str | None) -> bytes:
    """JSON, sealed with ``passphrase`` when one is given."""
    data = json.dumps(document).encode()
    if not passphrase:
        return data
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _kdf(salt).derive(passphrase.encode())
    header = SEALED_V2 + bytes([SCRYPT_LOG2_N])
    return SEALED_V2 + base64.b64encode(bytes([SCRYPT_LOG2_N]) + salt + nonce +
                                        AESGCM(key).encrypt(nonce, data, header)) + b"\n"


def _open_sealed(blob: bytes, passphrase: str) -> bytes:
    """The JSON inside a sealed backup (either version of the sealed format)."""
    try:
        if blob.startswith(SEALED_V2):
            raw = base64.b64decode(blob[len(SEALED_V2):], validate=False)
            log2_n, raw = raw[0], raw[1:]
            if not 14 <= log2_n <= 20:
                raise BackupError("this encrypted backup names an unsupported key derivation")
            header = SEALED_V2 + bytes([log2_n])
        else:
            raw, log2_n, header = base64.b64decode(blob[len(SEALED):]), LEGACY_LOG2_N, SEALED
    except (ValueError, IndexError) as exc:
        raise BackupError("this encrypted backup is damaged") from exc
    salt, nonce, sealed = raw[:16], raw[16:28], raw[28:]
    try:
        return AESGCM(_kdf(salt, log2_n).derive(passphrase.encode())).decrypt(nonce, sealed, header)
    except (InvalidTag, ValueError) as exc:
        raise BackupError("wrong passphrase, or the backup was altered") from exc


def unseal(blob: bytes, passphrase: str | None) -> Document:
    """Inverse of :func:`seal`. With a passphrase configured only a sealed (authenticated, encrypted)
    backup is accepted: a plain one could have been written by anyone (finding F8)."""
    if blob.startswith((SEALED_V2, SEALED)):
        if not passphrase:
            raise BackupError("this backup is encrypted: set HALLMARK_KEY_PASSPHRASE to the passphrase used for it")
        data = _open_sealed(blob, passphrase)
    elif passphrase:
        raise BackupError("a passphrase is configured, so only an encrypted backup is restored; this one is "
                          "plain JSON, which anyone could have written. Unset HALLMARK_KEY_PASSPHRASE and "
                          "HALLMARK_BACKUP_PASSPHRASE to restore a plain backup on purpose")
    else:
        data = blob
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise BackupError("not a Hallmark backup (not JSON)") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError("not a Hallmark backup")
    return document


def write(path: Path, blob: bytes) -> None:
    """Write the backup 0600 (it holds key material), replacing nothing."""
    try:
        write_private(path, blob)
    except FileExistsError as exc:
        raise BackupError(f"{path} already exists; choose a new file name") from exc


def restore(document: Document, instance_path: Path) -> dict[str, int]:
    """Load ``document`` into an empty, migrated database and the instance folder. Returns row counts."""
    with db.engine.connect() as connection:
        revision = _revision(connection)
    if document.get("schema_revision") and revision and document["schema_revision"] != revision:
        raise BackupError(f"the backup has schema {document['schema_revision']}, this database {revision}: "
                          "restore with the Hallmark version that made the backup, then upgrade")
    for table in db.metadata.sorted_tables:
        if db.session.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name} has rows): restore into a fresh instance")
    for name, value in document.get("secrets", {}).items():
        if name not in SECRET_FILES:
            continue
        path = instance_path / name
        if path.exists() and path.read_text() != value:
            path.unlink()
        if not path.exists():
            write_private(path, value.encode())
    counts: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        rows = document["tables"].get(table.name, [])
        if rows:
            db.session.execute(table.insert(), [{c.name: _decode(row.get(c.name), c.type) for c in table.columns}
                                                for row in rows])
        counts[table.name] = len(rows)
    if db.engine.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.columns and isinstance(table.columns["id"].type, Integer):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
    db.session.commit()
    return counts
