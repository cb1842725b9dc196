"""Who a grant is for, carried on Authlib's own request object (``request.user``) from one hook to the
next: no ``flask.g``. The identity claims are computed once, when the subject is made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from idp.people.accounts import Account
from idp.people.identity import identity_claims
from idp.platform.config import settings


@dataclass(frozen=True)
class Authorizer:
    """The person at /authorize: their account, when they authenticated, and the key they touched
    for this request (``None`` when an existing session was enough)."""

    account: Account
    auth_time: int
    credential_id: int | None

    @property
    def id(self) -> int:
        return self.account.id

    def get_user_id(self) -> int:
        return self.account.id


@dataclass(frozen=True)
class RedeemedFrom:
    """What a token is being issued from: an authorization code or a device authorization (the code
    itself travels on Authlib's ``request.authorization_code``)."""

    client_id: str
    credential_id: int | None
    auth_time: int | None
    grant: str = "authorization_code"


@dataclass(frozen=True)
class TokenSubject:
    """The person a token is minted for, where the grant came from, the token's ``jti`` and its identity
    claims (``sub``, and a proven email in email mode), all fixed before Authlib builds the token."""

    account: Account
    origin: RedeemedFrom
    claims: dict[str, Any]
    jti: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def of(cls, account: Account, origin: RedeemedFrom) -> TokenSubject:
        return cls(account=account, origin=origin, claims=identity_claims(account, settings()))

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def subject(self) -> str:
        sub: str = self.claims["sub"]
        return sub

    def get_user_id(self) -> int:
        return self.account.id
