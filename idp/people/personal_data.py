"""Everything Hallmark holds about one person, as JSON: their account, keys, sessions, invitations,
email links, signing records, what the monitor found, and their audit events. Digests of one-time
secrets (``*_hash`` columns) are left out: they identify nothing and serve no one outside Hallmark."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select

from idp.store.db import db
from idp.store.models import MonitoredCertificate, MonitoredSignature, User

OWNER_COLUMNS = ("user_id", "recover_user_id")
SKIPPED_TABLES = {"rate_counters"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _rows(table: Table, condition: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if not c.name.endswith("_hash")]
    return [{c.name: _plain(row[c.name]) for c in columns}
            for row in db.session.execute(select(*columns).where(condition)).mappings()]


def personal_data(user: User) -> dict[str, Any]:
    """The export for ``user``: one list of rows per table that holds something of theirs."""
    users = db.metadata.tables["users"]
    found: dict[str, Any] = {"account": _rows(users, users.c.id == user.id)[0]}
    for table in db.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES or table.name == "users":
            continue
        for name in OWNER_COLUMNS:
            if name in table.c:
                rows = _rows(table, table.c[name] == user.id)
                if rows:
                    found.setdefault(table.name, []).extend(rows)
    serials = select(MonitoredCertificate.serial).where(MonitoredCertificate.user_id == user.id)
    signatures = db.metadata.tables[MonitoredSignature.__tablename__]
    signed = _rows(signatures, signatures.c.serial.in_(serials))
    if signed:
        found["monitored_signatures"] = signed
    return found
