"""RFC 8628, the person's side: find the pending request a user code names, approve it with a key
touch, or deny it. The device's side (polling for the token) is ``idp.oauth.grants.DeviceGrant``."""

from __future__ import annotations

import re

from idp.ceremony.ceremonies import UsedCredential
from idp.oauth.client_records import SIGSTORE_CLIENT_ID
from idp.people import audit
from idp.people.accounts import Account
from idp.people.identity import signing_identity_missing
from idp.platform import clock
from idp.platform.config import settings
from idp.platform.refusal import Refused
from idp.platform.words import _l
from idp.store.db import db
from idp.store.models import DeviceCode
from idp.store.states import DeviceStatus

USER_CODE_RE = re.compile(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}")


def normalise(user_code: str) -> str:
    """Accept ``bcdf ghjk``, ``BCDFGHJK`` or ``BCDF-GHJK``."""
    letters = re.sub(r"[^A-Za-z]", "", user_code or "").upper()
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def pending(user_code: str) -> DeviceCode | None:
    """The pending, unexpired device authorization for ``user_code``."""
    if not USER_CODE_RE.fullmatch(user_code):
        return None
    row: DeviceCode | None = DeviceCode.query.filter_by(user_code=user_code, status=DeviceStatus.PENDING).first()
    return row if row is not None and row.expires_at > clock.now() else None


def approve(row: DeviceCode, user: Account, credential: UsedCredential) -> None:
    """Approve ``row`` for ``user``, who just touched ``credential``; exactly once, even when two
    approvals race. Not committed: the view commits it with the person's new browser session."""
    missing = signing_identity_missing(user, settings())
    if missing and row.client_id == SIGSTORE_CLIENT_ID:
        raise Refused(missing, 400, "access_denied")
    approved = (DeviceCode.query.filter_by(id=row.id, status=DeviceStatus.PENDING)
                .update({"status": DeviceStatus.APPROVED, "user_id": user.id, "credential_id": credential.id,
                         "approved_at": clock.now()}, synchronize_session=False))
    if approved != 1:
        raise Refused(_l("That code was already used."), 400, "invalid_user_code")
    audit.record("device.approved", user=user, client=row.client_id, credential=credential.name)


def deny(row: DeviceCode) -> None:
    """Deny ``row`` (if still pending): the device's next poll answers ``access_denied``."""
    denied = (DeviceCode.query.filter_by(id=row.id, status=DeviceStatus.PENDING)
              .update({"status": DeviceStatus.DENIED}, synchronize_session=False))
    if denied == 1:
        audit.record("device.denied", client=row.client_id)
    db.session.commit()
