"""Request-level WebAuthn ceremonies shared by enrollment, login and the account page."""

from __future__ import annotations

import json

from flask import current_app, request

from . import audit, challenges, clock, webauthn
from .extensions import db
from .models import Credential, User
from .jsonbody import json_object


class CeremonyError(ValueError):
    """Shown to the user as is; details go to the audit log."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def settings():
    return current_app.extensions["hallmark"]


def credential_json() -> str:
    """The ``credential`` member of the JSON body, re-serialised for py_webauthn."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise CeremonyError("Expected a JSON body with a 'credential' object from the browser.")
    return json.dumps(body["credential"])


def begin_registration(purpose: str, *, username: str, user_handle: bytes, exclude: list[bytes], **data) -> str:
    """Issue a challenge and return creation options JSON."""
    cfg = settings()
    challenge = challenges.issue(purpose, username=username, user_handle=user_handle.hex(), **data)
    return webauthn.registration_options(rp_id=cfg.rp_id, rp_name=cfg.rp_name, user_handle=user_handle,
                                         username=username, challenge=challenge, exclude=exclude)


def finish_registration(purpose: str):
    """Consume the challenge, verify the response, refuse a known credential id."""
    raw = credential_json()
    challenge = challenges.consume(purpose)
    if challenge is None:
        raise CeremonyError("This registration has expired or was already used. Start again.")
    cfg = settings()
    try:
        registered = webauthn.verify_registration(raw=raw, challenge=challenge.value, rp_id=cfg.rp_id,
                                                  origin=cfg.origin)
    except webauthn.WebAuthnError as exc:
        audit.record("credential.register_failed", actor=challenge.data.get("username", "anonymous"),
                     security=True, reason=exc.reason)
        raise CeremonyError(str(exc)) from exc
    if Credential.query.filter_by(credential_id=registered.credential_id).first() is not None:
        raise CeremonyError("This security key is already registered.")
    return challenge, registered


def new_credential(user: User, registered: webauthn.Registered, name: str) -> Credential:
    """A credential row for ``registered`` (not yet committed)."""
    cred = Credential(user=user, credential_id=registered.credential_id, public_key=registered.public_key,
                      sign_count=registered.sign_count, aaguid=registered.aaguid, name=name,
                      transports=registered.transports, backed_up=registered.backed_up,
                      discoverable=True)
    db.session.add(cred)
    return cred


def key_name() -> str:
    """The key name from the JSON body, cleaned; a default when absent."""
    body = json_object()
    name = str(body.get("name") or "").strip()[:64]
    return name or "Security key"


def finish_assertion(purpose: str) -> tuple[User, Credential]:
    """Consume the challenge and verify a login assertion, including the sign counter."""
    raw = credential_json()
    challenge = challenges.consume(purpose)
    if challenge is None:
        raise CeremonyError("This login has expired or was already used. Start again.")
    try:
        parsed = webauthn.parse_assertion(raw)
    except webauthn.WebAuthnError as exc:
        raise CeremonyError(str(exc)) from exc
    generic = "The security key response was not accepted."
    cred = Credential.query.filter_by(credential_id=parsed.raw_id, revoked_at=None).first()
    if cred is None or cred.user.disabled_at is not None:
        audit.record("login.failed", security=True, reason="unknown or revoked credential")
        raise CeremonyError(generic)
    user = cred.user
    expected_user = challenge.user_id
    handle = parsed.response.user_handle
    if (expected_user is not None and expected_user != user.id) or (handle and handle != user.webauthn_user_id):
        audit.record("login.failed", user=user, security=True, reason="credential belongs to another user")
        raise CeremonyError(generic)
    cfg = settings()
    try:
        asserted = webauthn.verify_assertion(credential=parsed, challenge=challenge.value, rp_id=cfg.rp_id,
                                             origin=cfg.origin, public_key=cred.public_key,
                                             stored_count=cred.sign_count)
    except webauthn.CounterError as exc:
        audit.record("security.counter_regression", user=user, security=True, credential=cred.name,
                     reason=exc.reason)
        raise CeremonyError(generic) from exc
    except webauthn.WebAuthnError as exc:
        audit.record("login.failed", user=user, security=True, reason=exc.reason)
        raise CeremonyError(generic) from exc
    updated = (Credential.query.filter_by(id=cred.id, sign_count=cred.sign_count)
               .update({"sign_count": asserted.new_sign_count, "last_used_at": clock.now()},
                       synchronize_session=False))
    db.session.commit()
    if updated != 1:
        audit.record("login.failed", user=user, security=True, reason="concurrent use of the same credential")
        raise CeremonyError(generic)
    return user, cred
