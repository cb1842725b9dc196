"""Reading Sigstore bundles from disk, with clear errors, and the facts a person wants from them.

A bundle is read only from a regular file and only up to :data:`MAX_BUNDLE_BYTES` (a FIFO or a
link to ``/dev/zero`` is refused, never waited on or read without end), and every malformed field
is a :class:`~idp.client.ClientError` with a reason (finding P4).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sigstore.models import Bundle

from idp.client import ClientError
from idp.client.shown import shown

MAX_BUNDLE_BYTES = 1024 * 1024
IN_TOTO = "application/vnd.in-toto+json"


@dataclass(frozen=True)
class LoadedBundle:
    path: Path
    bundle: Bundle
    subjects: tuple[tuple[str, str], ...]       # (name, sha256 hex) of what the bundle signs
    integrated_time: datetime | None
    log_index: int | None
    timestamp: datetime | None = None           # the first RFC 3161 time (Rekor v2 bundles have no other)
    is_attestation: bool = False                # a DSSE envelope around an in-toto statement

    @property
    def signed_time(self) -> datetime | None:
        """When the log or the timestamp authority saw the signature."""
        return self.integrated_time or self.timestamp

    @property
    def digest_hex(self) -> str:
        return self.subjects[0][1] if self.subjects else ""


def read_limited(path: Path, limit: int = MAX_BUNDLE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise ClientError(f"{shown(path)}: bundle not found. Sign the file first, or pass --bundle.") from exc
    except OSError as exc:
        raise ClientError(f"{shown(path)}: cannot read the bundle ({exc.strerror}).") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ClientError(f"{shown(path)}: not a regular file; a bundle is read only from one.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ClientError(f"{shown(path)}: larger than a bundle can be ({limit} bytes).")
    return data


def field(obj: object, camel: str) -> object:
    """A protobuf-JSON member under its camelCase or snake_case name (both are valid JSON forms)."""
    if not isinstance(obj, dict):
        return None
    if camel in obj:
        return obj[camel]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return obj.get(snake)


def _b64(value: object, what: str) -> bytes:
    try:
        return base64.b64decode(value if isinstance(value, str) else "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not base64") from exc


def subjects_of(raw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What a bundle signs: the message digest of a message signature, or the in-toto subjects of a
    DSSE envelope, as (name, sha256 hex) pairs."""
    message = field(raw, "messageSignature")
    if message is not None:
        digest = field(message, "messageDigest")
        if field(digest, "algorithm") not in (None, "SHA2_256"):
            raise ValueError(f"the message digest uses {field(digest, 'algorithm')}, not SHA2_256")
        value = _b64(field(digest, "digest"), "the message digest")
        if len(value) != 32:
            raise ValueError("the bundle carries no SHA-256 message digest")
        return (("", value.hex()),)
    envelope = field(raw, "dsseEnvelope")
    if envelope is not None:
        if field(envelope, "payloadType") != IN_TOTO:
            raise ValueError(f"the DSSE payload is {field(envelope, 'payloadType')!r}, not an in-toto statement")
        return statement_subjects(json.loads(_b64(field(envelope, "payload"), "the DSSE payload")))
    raise ValueError("the bundle has neither a message signature nor a DSSE envelope")


def statement_subjects(statement: object) -> tuple[tuple[str, str], ...]:
    """The (name, sha256 hex) subjects of an in-toto statement."""
    found = []
    for subject in (statement.get("subject") if isinstance(statement, dict) else None) or []:
        sha = (subject.get("digest") or {}).get("sha256") if isinstance(subject, dict) else None
        if isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha.lower()):
            found.append((str(subject.get("name", "")), sha.lower()))
    if not found:
        raise ValueError("the in-toto statement names no subject with a sha256 digest")
    return tuple(found)


def with_proto3_defaults(raw: dict[str, Any]) -> bool:
    """Restore, in place, the zero values protobuf JSON may leave out: cosign writes the first entry
    of a log without ``logIndex`` and a one-entry proof without ``hashes``, and sigstore-python's
    models require both. Returns whether anything was missing."""
    restored = False
    material = field(raw, "verificationMaterial")
    entries = field(material, "tlogEntries") if isinstance(material, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        proof = field(entry, "inclusionProof")
        for holder, name, zero in ((entry, "logIndex", "0"), (proof, "logIndex", "0"), (proof, "hashes", [])):
            if isinstance(holder, dict) and field(holder, name) is None:
                holder[name] = zero
                restored = True
    return restored


def first_timestamp(raw: dict[str, Any]) -> datetime | None:
    """The generation time of the bundle's first RFC 3161 timestamp (not verified here; the verifier
    checks it against the trusted root)."""
    from rfc3161_client import decode_timestamp_response

    data = field(field(raw, "verificationMaterial"), "timestampVerificationData")
    stamps = field(data, "rfc3161Timestamps") or []
    if not isinstance(stamps, list) or not stamps:
        return None
    token = _b64(field(stamps[0], "signedTimestamp"), "the RFC 3161 timestamp")
    when = decode_timestamp_response(token).tst_info.gen_time
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def load(path: Path) -> LoadedBundle:
    """Read and parse a ``.sigstore.json`` bundle; any malformed part is refused with the reason."""
    data = read_limited(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClientError(f"{shown(path)}: not a valid Sigstore bundle (not UTF-8).") from exc
    return parse(text, path)


def parse(text: str, path: Path) -> LoadedBundle:
    """Parse bundle JSON (``path`` names it in messages)."""
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("the bundle is not a JSON object")
        bundle = Bundle.from_json(json.dumps(raw) if with_proto3_defaults(raw) else text)
        subjects = subjects_of(raw)
        timestamp = first_timestamp(raw)
        entries = field(field(raw, "verificationMaterial"), "tlogEntries") or [{}]
        entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
        when, index = field(entry, "integratedTime"), field(entry, "logIndex")
        seconds = int(when) if when else 0                                               # type: ignore[call-overload]
        integrated = datetime.fromtimestamp(seconds, UTC) if seconds else None   # Rekor v2: "0" or absent
        log_index = int(index) if index is not None else None                           # type: ignore[call-overload]
    except Exception as exc:  # sigstore and the standard library raise many types for malformed input
        raise ClientError(f"{shown(path)}: not a valid Sigstore bundle ({shown(exc)}).") from exc
    return LoadedBundle(path=path, bundle=bundle, subjects=subjects, integrated_time=integrated,
                        log_index=log_index,
                        timestamp=timestamp, is_attestation=field(raw, "dsseEnvelope") is not None)


def default_bundle(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".sigstore.json")


def candidates(artifact: Path, extra: list[Path]) -> list[Path]:
    """``FILE.sigstore.json``, ``FILE.<label>.sigstore.json`` and any ``--bundle`` given, without repeats."""
    found = [default_bundle(artifact)] if os.path.lexists(default_bundle(artifact)) else []
    found += sorted(artifact.parent.glob(f"{glob_escape(artifact.name)}.*.sigstore.json"))
    for path in extra:
        if path not in found:
            found.append(path)
    return found


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
