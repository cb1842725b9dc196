"""Telling people: each new finding by email to the person it concerns (a proven address) and to the
administrators, when SMTP is configured; otherwise the audit log and ``hallmark monitor`` carry it."""

from __future__ import annotations

from idp.platform import clock, mail
from idp.platform.config import Settings
from idp.store.db import db
from idp.store.models import MonitorFinding, User


def recipients(finding: MonitorFinding) -> list[str]:
    """The person's proven address and every administrator's, each once."""
    people = User.query.filter(User.is_admin.is_(True), User.disabled_at.is_(None)).all()
    if finding.user_id is not None:
        person = db.session.get(User, finding.user_id)
        if person is not None:
            people.insert(0, person)
    found = [p.email for p in people if p.email and p.email_verified_at is not None]
    return list(dict.fromkeys(found))


def send_pending(settings: Settings) -> int:
    """Mail every finding not mailed yet; returns how many were mailed. Without SMTP, nothing."""
    if not settings.smtp_host:
        return 0
    sent = 0
    for finding in MonitorFinding.query.filter(MonitorFinding.notified_at.is_(None)).order_by(MonitorFinding.id):
        addresses = recipients(finding)
        for address in addresses:
            mail.send(settings, address, f"Hallmark identity monitor: {finding.severity} finding",
                      f"{finding.sentence}\n\nFound at {finding.found_at:%d %b %Y %H:%M:%S} UTC by Hallmark's "
                      f"identity monitor ({settings.issuer}).")
        finding.notified_at = clock.now()
        db.session.commit()
        sent += bool(addresses)
    return sent
