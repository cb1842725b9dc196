"""What the monitor reports: each finding once (its key names it), with a severity and a sentence a
person can act on, written to the monitor's table and the audit log in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from idp.people import audit
from idp.store.db import db
from idp.store.models import MonitorFinding, User

CRITICAL, WARNING = "critical", "warning"
WHAT_TO_DO = ("If it was not you: revoke your keys on your account page and tell the administrators. "
              "Administrators: rotate the token-signing keys (hallmark keys rotate) and check the CA.")


@dataclass(frozen=True)
class Finding:
    """One thing to report."""

    key: str
    kind: str
    severity: str
    sentence: str
    user_id: int | None = None
    serial: str | None = None


def report(finding: Finding) -> MonitorFinding | None:
    """Record ``finding`` unless it was reported before; returns the new row, or ``None``."""
    if MonitorFinding.query.filter_by(key=finding.key).first() is not None:
        return None
    row = MonitorFinding(key=finding.key, kind=finding.kind, severity=finding.severity, user_id=finding.user_id,
                         serial=finding.serial, sentence=finding.sentence)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:              # another monitor process reported it at the same moment
        return None
    person = db.session.get(User, finding.user_id) if finding.user_id else None
    audit.record(f"monitor.{finding.kind}", user=person, actor="identity-monitor", security=True,
                 severity=finding.severity, serial=finding.serial, finding=finding.sentence)
    return row
