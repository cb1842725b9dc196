"""Deleting an account, by the person or an administrator: every row that is theirs goes, their
sessions and tokens with it; the audit log keeps that it happened (who did it, and the account's
number), not the data; and the username is retired, because it is the identity of every certificate
ever issued to them and must never name someone else."""

from __future__ import annotations

from sqlalchemy import delete, update

from idp.people import audit
from idp.people.session_revocation import revoke_all_of
from idp.store.db import db, execute
from idp.store.models import RetiredUsername, User

# Rows that are the person's, deleted with the account (the order keeps foreign keys satisfied).
OWNED = ("issued_tokens", "login_grants", "authorization_codes", "signing_records", "browser_sessions",
         "email_verifications", "challenges", "device_codes", "monitored_certificates", "monitor_findings",
         "audit_events", "credentials")


def delete_account(user: User, *, actor: str) -> None:
    """Delete ``user`` and everything that is theirs, in one transaction."""
    number, name = user.id, user.username
    revoke_all_of(number)
    tables = db.metadata.tables
    for table_name in OWNED:
        table = tables[table_name]
        execute(delete(table).where(table.c.user_id == number), {})
    invites = tables["invites"]
    execute(update(invites).where(invites.c.used_by == number).values(used_by=None), {})
    execute(update(invites).where(invites.c.recover_user_id == number).values(recover_user_id=None), {})
    db.session.add(RetiredUsername(username=name))
    db.session.delete(user)
    db.session.flush()
    audit.record("account.deleted", actor=actor, security=True, account=number)
    db.session.commit()


def retired(username: str) -> bool:
    """Whether ``username`` belonged to a deleted account."""
    return db.session.get(RetiredUsername, username) is not None
