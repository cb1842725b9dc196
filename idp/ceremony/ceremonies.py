"""WebAuthn ceremonies shared by enrollment, login, the device page and the account page.

They never read the request: the web layer hands in the browser's JSON body and the session's
challenge ``slots``. Refusals are :class:`CeremonyError`, rendered by ``idp.web.errors``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update

from idp.ceremony import attestation, challenges, webauthn
from idp.ceremony.challenges import IssuedChallenge
from idp.people import audit
from idp.people.accounts import Account
from idp.platform import clock
from idp.platform.config import settings
from idp.platform.refusal import Refused
from idp.platform.words import _l
from idp.store.db import db, execute, table_of
from idp.store.models import Credential, User

log = logging.getLogger("idp")      # the app's logger (Flask names it after the import name)

# One answer for every refused login, whichever check failed (docs/security-checklist.md 27), saying what to do.
GENERIC_REFUSAL = _l("The security key response was not accepted: the key may not be registered here, or it "
                     "was revoked. Try another of your keys, or ask an administrator for a recovery link.")

Slots = MutableMapping[str, Any]


class CeremonyError(Refused):
    """A refused WebAuthn ceremony, shown to the person as is; details go to the audit log."""

    def __init__(self, message: str, status: int = 400, error: str = "login_failed"):
        super().__init__(message, status, error)


def credential_json(body: dict[str, Any], error: str) -> str:
    """The ``credential`` member of the JSON body, re-serialised for py_webauthn."""
    if not isinstance(body.get("credential"), dict):
        raise CeremonyError(_l("Expected a JSON body with a 'credential' object from the browser."), error=error)
    return json.dumps(body["credential"])


def begin_registration(purpose: str, slots: Slots, *, username: str, user_handle: bytes, exclude: list[bytes],
                       **data: Any) -> str:
    """Issue a challenge and return creation options JSON."""
    cfg = settings()
    challenge = challenges.issue(purpose, slots, username=username, user_handle=user_handle.hex(), **data)
    return webauthn.registration_options(rp_id=cfg.rp_id, rp_name=cfg.rp_name, user_handle=user_handle,
                                         username=username, challenge=challenge, exclude=exclude,
                                         attestation=attestation.asks_for_attestation(cfg))


@dataclass(frozen=True)
class NewKey:
    """A registration that passed every check: the key, and what its attestation proved."""

    registered: webauthn.Registered
    attested: attestation.Attested


def finish_registration(purpose: str, slots: Slots, body: dict[str, Any]) -> tuple[IssuedChallenge, NewKey]:
    """Consume the challenge, verify the response, refuse a known credential id, apply the hardware-bound
    and attestation policies."""
    error = "registration_failed"
    raw = credential_json(body, error)
    challenge = challenges.consume(purpose, slots)
    if challenge is None:
        raise CeremonyError(_l("This registration has expired or was already used. Start again."), error=error)
    cfg = settings()
    try:
        registered = webauthn.verify_registration(raw=raw, challenge=challenge.value, rp_id=cfg.rp_id,
                                                  origin=cfg.origin)
    except webauthn.WebAuthnError as exc:
        log.warning("key registration refused: %s", exc.reason)
        audit.record("credential.register_failed", actor=challenge.data.get("username", "anonymous"),
                     security=True, reason=exc.reason)
        raise CeremonyError(str(exc), error=error) from exc
    if Credential.query.filter_by(credential_id=registered.credential_id).first() is not None:
        raise CeremonyError(_l("This security key is already registered."), error=error)
    if cfg.hardware_bound_only and registered.multi_device:
        audit.record("credential.register_failed", actor=challenge.data.get("username", "anonymous"),
                     security=True, reason="a synced passkey where only hardware-bound keys are accepted")
        raise CeremonyError(_l("This instance accepts only hardware-bound security keys, and this one is a synced "
                               "passkey (it can be copied to your other devices). Use a security key such as a "
                               "YubiKey, or a passkey your device keeps to itself."), error=error)
    try:
        attested = attestation.evaluate(cfg, registered.attestation_object, registered.client_data_hash,
                                        multi_device=registered.multi_device, now=clock.now())
    except attestation.AttestationRefused as exc:
        log.warning("key registration refused: %s", exc.reason)
        audit.record("credential.register_failed", actor=challenge.data.get("username", "anonymous"),
                     security=True, reason=exc.reason)
        raise CeremonyError(str(exc), error=error) from exc
    return challenge, NewKey(registered=registered, attested=attested)


def new_credential(user: User, key: NewKey, name: str) -> Credential:
    """A credential row for the new ``key`` (not yet committed)."""
    registered = key.registered
    cred = Credential(user=user, credential_id=registered.credential_id, public_key=registered.public_key,
                      sign_count=registered.sign_count, aaguid=registered.aaguid, name=name,
                      transports=registered.transports, backed_up=registered.backed_up,
                      discoverable=True, attested_model=key.attested.model,
                      hardware_attested=key.attested.hardware)
    db.session.add(cred)
    return cred


def key_name(body: dict[str, Any]) -> str:
    """The key name from the JSON body, cleaned; a default when absent."""
    name = str(body.get("name") or "").strip()[:64]
    return name or "Security key"


CREDENTIALS, USERS = table_of(Credential), table_of(User)
# Built once: every login reads the credential with its owner, then advances the sign counter.
SELECT_LOGIN_CREDENTIAL = (
    select(CREDENTIALS.c.id, CREDENTIALS.c.name, CREDENTIALS.c.public_key, CREDENTIALS.c.sign_count,
           USERS.c.webauthn_user_id, USERS.c.id.label("uid"), USERS.c.username, USERS.c.email,
           USERS.c.email_verified_at, USERS.c.disabled_at)
    .join(USERS, USERS.c.id == CREDENTIALS.c.user_id)
    .where(CREDENTIALS.c.credential_id == bindparam("raw_id"), CREDENTIALS.c.revoked_at.is_(None)))
ADVANCE_COUNTER = (update(CREDENTIALS)
                   .where(CREDENTIALS.c.id == bindparam("cred_id"), CREDENTIALS.c.sign_count == bindparam("seen"))
                   .values(sign_count=bindparam("new_count"), last_used_at=bindparam("now")))


@dataclass(frozen=True)
class UsedCredential:
    """The credential a login was made with."""

    id: int
    name: str


def finish_assertion(purpose: str, slots: Slots, body: dict[str, Any],
                     error: str = "login_failed") -> tuple[Account, UsedCredential]:
    """Consume the challenge and verify a login assertion, including the sign counter. The counter's
    advance joins the caller's transaction (the caller commits it with the login it makes)."""
    raw = credential_json(body, error)
    challenge = challenges.consume(purpose, slots)
    if challenge is None:
        raise CeremonyError(_l("This login has expired or was already used. Start again."), error=error)
    try:
        parsed = webauthn.parse_assertion(raw)
    except webauthn.WebAuthnError as exc:
        raise CeremonyError(str(exc), error=error) from exc
    generic = CeremonyError(GENERIC_REFUSAL, error=error)
    row = execute(SELECT_LOGIN_CREDENTIAL, {"raw_id": parsed.raw_id}).first()
    if row is None:
        # Nobody's: not written to the audit log, or any stranger could grow it without bound (F14).
        log.warning("login refused: unknown or revoked credential")
        raise generic
    user = Account(id=row.uid, username=row.username, email=row.email, email_verified_at=row.email_verified_at,
                   disabled_at=row.disabled_at)
    if row.disabled_at is not None:
        audit.record("login.failed", user=user, security=True, reason="account disabled")
        raise generic
    expected_user = challenge.user_id
    handle = parsed.response.user_handle
    if (expected_user is not None and expected_user != user.id) or (handle and handle != row.webauthn_user_id):
        audit.record("login.failed", user=user, security=True, reason="credential belongs to another user")
        raise generic
    cfg = settings()
    try:
        asserted = webauthn.verify_assertion(credential=parsed, challenge=challenge.value, rp_id=cfg.rp_id,
                                             origin=cfg.origin, public_key=row.public_key,
                                             stored_count=row.sign_count)
    except webauthn.CounterError as exc:
        log.warning("login refused: %s", exc.reason)
        audit.record("security.counter_regression", user=user, security=True, credential=row.name,
                     reason=exc.reason)
        raise generic from exc
    except webauthn.WebAuthnError as exc:
        log.warning("login refused: %s", exc.reason)
        audit.record("login.failed", user=user, security=True, reason=exc.reason)
        raise generic from exc
    updated = execute(ADVANCE_COUNTER, {"cred_id": row.id, "seen": row.sign_count,
                                        "new_count": asserted.new_sign_count, "now": clock.now()}).rowcount
    if updated != 1:
        audit.record("login.failed", user=user, security=True, reason="concurrent use of the same credential")
        raise generic
    return user, UsedCredential(id=row.id, name=row.name)
