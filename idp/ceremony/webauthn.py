"""A thin wrapper over py_webauthn: ceremonies with Hallmark's policy, library errors as domain errors.

Policy: user verification required; discoverable credentials preferred; ES256/EdDSA/RS256 only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.platform.words import _l

T = TypeVar("T")
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


class WebAuthnError(ValueError):
    """The authenticator's response was refused. ``reason`` is for the audit log, not the user."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or str(message)


class MalformedResponse(WebAuthnError):
    """The response is not valid JSON / base64url / CBOR."""


class CounterError(WebAuthnError):
    """The signature counter did not increase: the key may have been cloned."""


@dataclass(frozen=True)
class Registered:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    aaguid: str
    backed_up: bool
    transports: list[str]
    multi_device: bool = False          # backup eligible: a synced passkey that can be copied to other devices
    attestation_object: bytes = b""     # for the attestation policy (idp/ceremony/attestation.py)
    client_data_hash: bytes = b""


@dataclass(frozen=True)
class Asserted:
    credential_id: bytes
    user_handle: bytes | None
    new_sign_count: int


def registration_options(*, rp_id: str, rp_name: str, user_handle: bytes, username: str,
                         challenge: bytes, exclude: list[bytes], attestation: bool = False) -> str:
    """Options JSON for ``navigator.credentials.create()``; ``attestation`` asks the key to prove its model
    (``direct``), otherwise the browser is told not to send it (``none``)."""
    options = generate_registration_options(
        rp_id=rp_id, rp_name=rp_name, user_id=user_handle, user_name=username,
        user_display_name=username, challenge=challenge, timeout=300000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in exclude],
        supported_pub_key_algs=ALGORITHMS,
        attestation=AttestationConveyancePreference.DIRECT if attestation else AttestationConveyancePreference.NONE,
    )
    return options_to_json(options)


def authentication_options(*, rp_id: str, challenge: bytes, allow: list[bytes] | None) -> str:
    """Options JSON for ``navigator.credentials.get()``; ``allow=None`` asks for a discoverable credential."""
    options = generate_authentication_options(
        rp_id=rp_id, challenge=challenge, timeout=300000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=c) for c in (allow or [])],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def _parse(raw: str, parser: Callable[[str], T]) -> T:
    try:
        json.loads(raw)
        return parser(raw)
    except (ValueError, TypeError, InvalidJSONStructure, InvalidCBORData, WebAuthnException) as exc:
        raise MalformedResponse(_l("The security key response is malformed."), str(exc)) from exc


def verify_registration(*, raw: str, challenge: bytes, rp_id: str, origin: str) -> Registered:
    """Verify a registration response (user verification required)."""
    credential = _parse(raw, parse_registration_credential_json)
    transports = [t.value for t in (credential.response.transports or [])]
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=True, supported_pub_key_algs=ALGORITHMS)
    except (InvalidRegistrationResponse, InvalidCBORData, WebAuthnException, ValueError) as exc:
        raise WebAuthnError(_l("The security key registration was not accepted."), str(exc)) from exc
    return Registered(credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, aaguid=str(verified.aaguid),
                      backed_up=bool(verified.credential_backed_up), transports=transports,
                      multi_device=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                      attestation_object=verified.attestation_object,
                      client_data_hash=hashlib.sha256(credential.response.client_data_json).digest())


def parse_assertion(raw: str) -> AuthenticationCredential:
    """Parse an assertion JSON to learn its credential id and user handle before verifying it."""
    return _parse(raw, parse_authentication_credential_json)


def verify_assertion(*, credential: AuthenticationCredential, challenge: bytes, rp_id: str, origin: str,
                     public_key: bytes, stored_count: int) -> Asserted:
    """Verify an assertion, then the counter: a non-zero counter must increase (0/0 is a synced passkey)."""
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=public_key,
            credential_current_sign_count=0, require_user_verification=True)
    except (InvalidAuthenticationResponse, InvalidCBORData, WebAuthnException, ValueError) as exc:
        raise WebAuthnError(_l("The security key response was not accepted."), str(exc)) from exc
    new = verified.new_sign_count
    if (new > 0 or stored_count > 0) and new <= stored_count:
        raise CounterError(_l("The security key response was not accepted."),
                           f"sign counter {new} did not increase past {stored_count}")
    return Asserted(credential_id=verified.credential_id,
                    user_handle=credential.response.user_handle, new_sign_count=new)
