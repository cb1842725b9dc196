"""The attestation policy: which authenticator models may register here (docs/attestation.md,
docs/security-checklist.md 46).

With no FIDO metadata configured, nothing is asked of a key and nothing is claimed about it: its model is
"not disclosed". With a BLOB (``HALLMARK_MDS_BLOB`` + ``HALLMARK_MDS_ROOT``) a new key is asked to prove
its model, and a model is named only when its attestation chains to that model's root in the BLOB:

- a model the BLOB reports revoked or compromised is always refused;
- ``HALLMARK_ATTESTATION_REQUIRED`` refuses keys that prove no model (no attestation, self-attestation,
  a model missing from the BLOB, a chain that does not verify);
- ``HALLMARK_ALLOWED_AAGUIDS`` accepts only the models listed (and implies the above).

python-fido2 verifies the attestation statement, once, and its chain to the model's root; the model's
``keyProtection`` says whether its keys live in hardware, which is what lets a token claim ``amr: hwk``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from fido2.attestation.base import Attestation, AttestationType, InvalidAttestation, verify_x509_chain
from fido2.mds3 import AuthenticatorStatus, MetadataBlobPayloadEntry, StatusReport
from fido2.webauthn import AttestationObject

from idp.ceremony.metadata import Metadata, MetadataError, MetadataFile
from idp.platform.config import Settings
from idp.platform.words import _l, english

# Status reports that refuse a model whatever the policy: the FIDO Alliance says its keys cannot be trusted.
REFUSING_STATUSES = frozenset({
    AuthenticatorStatus.REVOKED,
    AuthenticatorStatus.USER_VERIFICATION_BYPASS,
    AuthenticatorStatus.USER_KEY_REMOTE_COMPROMISE,
    AuthenticatorStatus.USER_KEY_PHYSICAL_COMPROMISE,
})
HARDWARE_PROTECTION = frozenset({"hardware", "secure_element", "tee"})
NOT_DISCLOSED = None


class AttestationRefused(ValueError):
    """The key may not register here; the message is for the person, ``reason`` for the audit log."""

    def __init__(self, message: object, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Attested:
    """What the attestation proved about a new key: its model's name (None: not disclosed), and whether
    that model keeps its keys in hardware and this credential cannot be copied off it."""

    model: str | None
    hardware: bool


UNVERIFIED = Attested(model=NOT_DISCLOSED, hardware=False)

_files: dict[tuple[Path, Path], MetadataFile] = {}
_files_lock = threading.Lock()


def metadata_file(cfg: Settings) -> MetadataFile | None:
    """The BLOB this instance is configured with (one reader per process and path), or None."""
    if not cfg.mds_blob:
        return None
    key = (Path(cfg.mds_blob), Path(cfg.mds_root))
    with _files_lock:
        if key not in _files:
            _files[key] = MetadataFile(*key)
        return _files[key]


def asks_for_attestation(cfg: Settings) -> bool:
    """Whether registrations ask the key to prove its model (only when there is metadata to check it)."""
    return bool(cfg.mds_blob)


def _required(cfg: Settings) -> bool:
    return cfg.attestation_required or bool(cfg.allowed_aaguids)


def refusing_report(entry: MetadataBlobPayloadEntry, chain: Sequence[bytes] = ()) -> StatusReport | None:
    """The first status report that refuses this model (or the attestation key in ``chain``)."""
    for report in entry.status_reports:
        compromised_key = (report.status == AuthenticatorStatus.ATTESTATION_KEY_COMPROMISE
                           and (report.certificate is None or report.certificate in chain))
        if report.status in REFUSING_STATUSES or compromised_key:
            return report
    return None


def _issuing_root(entry: MetadataBlobPayloadEntry, chain: Sequence[bytes]) -> bytes | None:
    """The model's attestation root named as the issuer of the chain's last certificate (as python-fido2's
    MDS verifier picks it), or None."""
    if entry.metadata_statement is None:
        return None
    issuer = x509.load_der_x509_certificate(chain[-1]).issuer
    for root in entry.metadata_statement.attestation_root_certificates:
        if x509.load_der_x509_certificate(root).subject == issuer:
            return root
    return None


def _model_name(entry: MetadataBlobPayloadEntry) -> str:
    statement = entry.metadata_statement
    return statement.description if statement else f"AAGUID {entry.aaguid}"


def evaluate(cfg: Settings, attestation_object: bytes, client_data_hash: bytes, *, multi_device: bool,
             now: datetime) -> Attested:
    """Apply the policy to a verified registration; :class:`AttestationRefused` says why a key is refused."""
    source = metadata_file(cfg)
    if source is None:
        return UNVERIFIED
    required = _required(cfg)
    try:
        metadata = source.current(now)
    except MetadataError as exc:
        raise AttestationRefused(_l("New keys cannot be checked right now: this instance's list of authenticator "
                                    "models cannot be read. Tell an administrator."), f"metadata: {exc}") from exc
    if metadata.stale(now.date()):
        raise AttestationRefused(
            _l("New keys cannot be checked right now: this instance's list of authenticator models expired on "
               "%(date)s and may miss revoked models. Tell an administrator.", date=metadata.next_update.isoformat()),
            f"metadata BLOB past its nextUpdate {metadata.next_update.isoformat()}")
    return _judge(cfg, metadata, AttestationObject(attestation_object), client_data_hash,
                  multi_device=multi_device, required=required)


def _unproven(required: bool, reason: object) -> Attested:
    """Unnamed, or refused when the policy requires a proven model (``reason`` is said to the person in
    their language, and recorded in English)."""
    if required:
        with english():
            recorded = str(reason)
        raise AttestationRefused(
            _l("This instance accepts only security keys that prove their model, and this one did not "
               "(%(why)s). Use one of the models your administrator lists.", why=reason),
            f"attestation required: {recorded}")
    return UNVERIFIED


def _judge(cfg: Settings, metadata: Metadata, attestation: AttestationObject, client_data_hash: bytes, *,
           multi_device: bool, required: bool) -> Attested:
    if attestation.fmt == "none":
        return _unproven(required, _l("it sent no attestation"))
    try:
        result = Attestation.for_type(attestation.fmt)().verify(attestation.att_stmt, attestation.auth_data,
                                                               client_data_hash)
    except InvalidAttestation as exc:
        return _unproven(required, _l("its '%(format)s' attestation does not verify: %(why)s",
                                      format=attestation.fmt, why=type(exc).__name__))
    if result.attestation_type == AttestationType.SELF or not result.trust_path:
        return _unproven(required, _l("it attests only to itself"))
    assert attestation.auth_data.credential_data is not None  # noqa: S101 (a registration always has it)
    aaguid = attestation.auth_data.credential_data.aaguid
    try:
        entry = (metadata.entry_by_aaguid(str(aaguid)) if aaguid
                 else metadata.entry_by_chain(result.trust_path))
    except ValueError as exc:       # python-fido2 cannot read this model's entry
        return _unproven(required, _l("its entry in the FIDO metadata cannot be read: %(why)s", why=str(exc)))
    if entry is None:
        return _unproven(required, _l("its model %(aaguid)s is not in the FIDO metadata", aaguid=str(aaguid)))
    name = _model_name(entry)
    report = refusing_report(entry, result.trust_path)
    if report is not None:
        when = f" on {report.effective_date.isoformat()}" if report.effective_date else ""
        refusing = f"{report.status.value}{when}"
        raise AttestationRefused(
            _l("This key's model (%(model)s) is reported unsafe by the FIDO Alliance (%(status)s), so it cannot be "
               "registered. Use another security key.", model=name, status=refusing),
            f"model {aaguid} {name}: {refusing}")
    root = _issuing_root(entry, result.trust_path)
    try:
        if root is None:
            raise InvalidAttestation("no attestation root of this model issued its certificate")
        verify_x509_chain(result.trust_path + [root])       # the statement itself was verified above
    except InvalidAttestation as exc:
        return _unproven(required, _l("its attestation does not chain to the root of %(model)s: %(why)s",
                                      model=name, why=str(exc) or type(exc).__name__))
    if cfg.allowed_aaguids and str(entry.aaguid or "") not in cfg.allowed_aaguids:
        raise AttestationRefused(
            _l("This key's model (%(model)s) is not one this instance accepts. Use one of the models your "
               "administrator lists.", model=name), f"model {aaguid} {name} not in HALLMARK_ALLOWED_AAGUIDS")
    statement = entry.metadata_statement
    protection = set(statement.key_protection) if statement else set()
    return Attested(model=name, hardware=bool(protection & HARDWARE_PROTECTION) and not multi_device)
