"""Deleting an account, by the person or an administrator: every row that is theirs goes, their
sessions and tokens with it; the audit log keeps that it happened (who did it, and the account's
number), not the data; and the username is retired, because it is the identity of every certificate
ever issued to them and must never name someone else."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from idp.people import audit
from idp.people.ownership import tables_of_a_person
from idp.people.session_revocation import revoke_all_of
from idp.store.db import db, execute
from idp.store.models import RetiredUsername, User


def delete_account(user: User, *, actor: str) -> None:
    """Delete ``user`` and everything that is theirs, in one transaction."""
    number, name = user.id, user.username
    revoke_all_of(number)
    tables = db.metadata.tables
    certificates, signatures = tables["monitored_certificates"], tables["monitored_signatures"]
    execute(delete(signatures).where(signatures.c.serial.in_(
        select(certificates.c.serial).where(certificates.c.user_id == number))), {})
    for table in reversed(tables_of_a_person()):         # children before the rows they point at
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
