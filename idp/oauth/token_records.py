"""What Hallmark keeps of a token it issues: the consumed code, the token's row (for revocation on
reuse), the signing record a monitor matches certificates to, and the audit event — one transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749.requests import OAuth2Request
from sqlalchemy import bindparam, insert, select

from idp.oauth.client_records import SIGSTORE_CLIENT_ID
from idp.oauth.grants import RedeemableCode, consume
from idp.oauth.subjects import TokenSubject
from idp.people import audit
from idp.platform import clock
from idp.platform.config import settings
from idp.platform.secretfiles import sha256_hex
from idp.store.db import db, execute, table_of
from idp.store.models import Credential, IssuedToken, SigningRecord

INSERT_TOKEN = insert(table_of(IssuedToken))
INSERT_SIGNING_RECORD = insert(table_of(SigningRecord))
CREDENTIAL_NAME = select(table_of(Credential).c.name).where(table_of(Credential).c.id == bindparam("cred_id"))


def save_token(token: dict[str, Any], request: OAuth2Request) -> None:
    """Consume the code, record the token by ``jti`` (for revocation on reuse) and audit it: one short
    write transaction. If the code was redeemed meanwhile, the token just made is never sent."""
    subject: TokenSubject = request.user
    origin = subject.origin
    code: RedeemableCode | None = request.authorization_code
    credential = (execute(CREDENTIAL_NAME, {"cred_id": origin.credential_id}).scalar()
                  if origin.credential_id else None)
    if code is not None:
        consume(code)
    now = clock.now()
    expires_at = now + timedelta(seconds=settings().token_lifetime)
    execute(INSERT_TOKEN, dict(
        jti=subject.jti, code_id=code.id if code else None, client_id=origin.client_id,
        user_id=subject.id, expires_at=expires_at, revoked_at=None))
    if origin.client_id == SIGSTORE_CLIENT_ID:      # a token Fulcio accepts: the monitor matches certificates to it
        execute(INSERT_SIGNING_RECORD, dict(
            subject=subject.subject, user_id=subject.id, client_id=origin.client_id,
            grant=origin.grant, credential_id=origin.credential_id, jti_sha256=sha256_hex(subject.jti),
            issued_at=now, expires_at=expires_at))
    audit.record("token.issued", user=subject.account, client=origin.client_id, grant=origin.grant,
                 sub=subject.subject, jti=subject.jti, credential=credential)
    db.session.commit()
