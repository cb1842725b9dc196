"""A person's keys: add one, rename one, revoke one. Each is one transaction with its audit event."""

from __future__ import annotations

from dataclasses import dataclass

from idp.ceremony.ceremonies import NewKey, new_credential
from idp.people import audit
from idp.people.session_revocation import revoke_made_with
from idp.platform import clock
from idp.platform.words import _l
from idp.store.db import db
from idp.store.models import Credential, User


class NotYourKey(LookupError):
    """No active key with that id belongs to this person (the page answers 404)."""


class CredentialError(ValueError):
    """A change to a key that cannot be made; the message says why."""


@dataclass(frozen=True)
class Revoked:
    """What revoking a key did."""

    name: str
    last_key: bool
    sessions_ended: int


def own(user: User, cred_id: int) -> Credential:
    """``user``'s active key ``cred_id``, or :class:`NotYourKey`."""
    cred = db.session.get(Credential, cred_id)
    if cred is None or cred.user_id != user.id or cred.revoked_at is not None:
        raise NotYourKey(cred_id)
    return cred


def add(user: User, key: NewKey, name: str) -> Credential:
    """Add the key just registered to ``user``'s account."""
    cred = new_credential(user, key, name)
    db.session.flush()
    audit.record("credential.added", user=user, credential=cred.name)
    db.session.commit()
    return cred


def rename(user: User, cred_id: int, name: str) -> tuple[str, str]:
    """Rename one of ``user``'s keys; returns the old and the new name."""
    cred = own(user, cred_id)
    name = name.strip()[:64]
    if not name:
        raise CredentialError(_l("A key needs a name."))
    old, cred.name = cred.name, name
    audit.record("credential.renamed", user=user, old=old, new=name)
    db.session.commit()
    return old, name


def revoke(user: User, cred_id: int) -> Revoked:
    """Revoke one of ``user``'s keys and end every browser session that was signed in with it."""
    cred = own(user, cred_id)
    last = len(user.active_credentials) == 1
    cred.revoked_at = clock.now()
    ended = revoke_made_with(cred.id)
    audit.record("credential.revoked", user=user, credential=cred.name, last_key=last, sessions_ended=ended)
    db.session.commit()
    return Revoked(name=cred.name, last_key=last, sessions_ended=ended)
