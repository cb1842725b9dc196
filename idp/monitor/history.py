"""A person's signing history: every certificate the monitor found for their identity, newest first, with
the login behind it (when, which client, which key) and the artifact digests signed with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idp.store.db import db
from idp.store.models import Credential, MonitoredCertificate, MonitoredSignature, MonitorFinding, SigningRecord


@dataclass(frozen=True)
class HistoryItem:
    """One certificate: when, through what, what it signed, and what is wrong with it (if anything)."""

    issued_at: datetime
    serial: str
    identity: str
    client: str | None
    key: str | None
    digests: list[str]
    findings: list[str]

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    def as_json(self) -> dict[str, Any]:
        return {"issued_at": self.issued_at.isoformat(), "serial": self.serial, "identity": self.identity,
                "client": self.client, "key": self.key, "digests": self.digests, "flagged": self.flagged,
                "findings": self.findings}


def signing_history(user_id: int, limit: int = 200) -> list[HistoryItem]:
    """``user_id``'s certificates, newest first (at most ``limit``)."""
    rows = (MonitoredCertificate.query.filter_by(user_id=user_id)
            .order_by(MonitoredCertificate.not_before.desc()).limit(limit).all())
    items = []
    for row in rows:
        record = db.session.get(SigningRecord, row.signing_record_id) if row.signing_record_id else None
        key = db.session.get(Credential, record.credential_id) if record and record.credential_id else None
        digests = [s.digest for s in MonitoredSignature.query.filter_by(serial=row.serial)
                   .order_by(MonitoredSignature.log_index)]
        findings = [f.sentence for f in MonitorFinding.query.filter_by(serial=row.serial)
                    .order_by(MonitorFinding.id)]
        items.append(HistoryItem(issued_at=row.not_before, serial=row.serial, identity=row.identity,
                                 client=record.client_id if record else None, key=key.name if key else None,
                                 digests=digests, findings=findings))
    return items
