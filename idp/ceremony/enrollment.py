"""Enrollment through a one-time invitation, and account recovery through a recovery link.

Each function writes into the request's transaction; the view adds the new browser session and
commits once, so the account, its first key, the used invitation, the session and the audit event
exist together or not at all.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError

from idp.ceremony.ceremonies import NewKey, Slots, begin_registration, new_credential
from idp.ceremony.challenges import IssuedChallenge
from idp.people import audit, invites
from idp.people.account_deletion import retired
from idp.people.identity import USERNAME_RE
from idp.people.session_revocation import revoke_all_of
from idp.platform import clock
from idp.platform.refusal import Refused
from idp.platform.secretfiles import sha256_hex
from idp.platform.words import _l
from idp.store.db import db
from idp.store.models import Credential, Invite, User

LINK_GONE = _l("This enrollment link is no longer valid.")


def usable_invite(token: str) -> Invite:
    """The unused, unexpired invitation ``token`` names."""
    invite = invites.find_usable(token)
    if invite is None:
        raise Refused(LINK_GONE, 404, "invalid_invite")
    return invite


def recovering(invite: Invite) -> User | None:
    """The account a recovery link is for (``None`` for an enrollment link)."""
    return db.session.get(User, invite.recover_user_id) if invite.recover_user_id else None


def registration_options(token: str, slots: Slots, body: dict[str, Any]) -> str:
    """WebAuthn creation options for the invitation ``token``: for the account being recovered, or for
    the username the person chose (checked and free)."""
    invite = usable_invite(token)
    user = recovering(invite)
    if user is not None:
        return begin_registration("enroll", slots, username=user.username, user_handle=user.webauthn_user_id,
                                  exclude=[], invite=sha256_hex(token))
    username = str(body.get("username") or "")
    if not USERNAME_RE.fullmatch(username):
        raise Refused(_l("Usernames are 3-32 characters: lowercase letters, digits and '-'."), 400,
                      "invalid_username")
    if User.query.filter_by(username=username).first() is not None or retired(username):
        raise Refused(_l("The username '%(name)s' is taken.", name=username), 409, "username_taken")
    return begin_registration("enroll", slots, username=username, user_handle=secrets.token_bytes(32), exclude=[],
                              invite=sha256_hex(token))


def complete(token: str, challenge: IssuedChallenge, key: NewKey,
             name: str) -> tuple[User, Credential]:
    """Claim the invitation and create the account with its first key — or, for a recovery link, add
    the key to the account and revoke every key and session it had. Not committed."""
    if challenge.data.get("invite") != sha256_hex(token):
        raise Refused(_l("This registration belongs to another link."), 400, "registration_failed")
    invite = invites.claim(token)
    if invite is None:
        raise Refused(LINK_GONE, 404, "invalid_invite")
    user = recovering(invite)
    if user is not None:
        return user, _recover(invite, user, key, name)
    username = challenge.data["username"]
    user = User(username=username, webauthn_user_id=bytes.fromhex(challenge.data["user_handle"]),
                is_admin=invite.is_admin)
    db.session.add(user)
    cred = new_credential(user, key, name)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_l("The username '%(name)s' is taken.", name=username), 409, "username_taken") from None
    invite.used_by = user.id
    audit.record("user.enrolled", user=user, admin=user.is_admin)
    return user, cred


def _recover(invite: Invite, user: User, key: NewKey, name: str) -> Credential:
    """Add the new key to the account the recovery link names, and revoke every key it had."""
    revoked = [c.name for c in user.active_credentials]
    for old in user.active_credentials:
        old.revoked_at = clock.now()
    cred = new_credential(user, key, name)
    invite.used_by = user.id
    ended = revoke_all_of(user.id)          # every browser signed in before the recovery
    db.session.flush()
    audit.record("account.recovered", user=user, security=True, credential=cred.name, revoked=revoked,
                 sessions_ended=ended)
    return cred
