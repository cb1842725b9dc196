"""Everything Hallmark holds about one person, as JSON: their account, keys, sessions, invitations,
email links, signing records, what the monitor found, and their audit events. Digests of one-time
secrets (``*_hash`` columns) are left out: they identify nothing and serve no one outside Hallmark."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from idp.people.ownership import tables_of_a_person
from idp.store.backup import encode
from idp.store.db import db
from idp.store.models import MonitoredCertificate, MonitoredSignature, User


def _rows(table: Table, condition: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if not c.name.endswith("_hash")]
    return [{c.name: encode(row[c.name], c.type) for c in columns}
            for row in db.session.execute(select(*columns).where(condition)).mappings()]


def personal_data(user: User) -> dict[str, Any]:
    """The export for ``user``: one list of rows per table that holds something of theirs."""
    users = db.metadata.tables["users"]
    found: dict[str, Any] = {"account": _rows(users, users.c.id == user.id)[0]}
    for table in tables_of_a_person():
        rows = _rows(table, table.c.user_id == user.id)
        if rows:
            found[table.name] = rows
    invites = db.metadata.tables["invites"]
    recovery = _rows(invites, invites.c.recover_user_id == user.id)
    if recovery:
        found["invites"] = recovery
    serials = select(MonitoredCertificate.serial).where(MonitoredCertificate.user_id == user.id)
    signatures = db.metadata.tables[MonitoredSignature.__tablename__]
    signed = _rows(signatures, signatures.c.serial.in_(serials))
    if signed:
        found["monitored_signatures"] = signed
    return found
