"""``hallmark attest``: an in-toto statement about each file, signed as a DSSE bundle (the shape of
PEP 740 attestations), with the file's SHA-256 as its one subject."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sigstore.dsse import DigestSet, StatementBuilder, Subject
from sigstore.models import Bundle
from sigstore.sign import Signer

from idp.client import UsageError
from idp.client.shown import shown
from idp.client.sign import MakeBundle

MAX_PREDICATE_BYTES = 1024 * 1024


def read_predicate(path: Path) -> dict[str, Any]:
    """The predicate: a JSON object from a file (at most 1 MiB)."""
    try:
        data = path.read_bytes()[: MAX_PREDICATE_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"--predicate {shown(path)}: cannot read it ({exc.strerror}).") from exc
    if len(data) > MAX_PREDICATE_BYTES:
        raise UsageError(f"--predicate {shown(path)}: larger than 1 MiB.")
    try:
        predicate = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"--predicate {shown(path)}: not JSON ({exc}).") from exc
    if not isinstance(predicate, dict):
        raise UsageError(f"--predicate {shown(path)}: must be a JSON object, not {type(predicate).__name__}.")
    return predicate


def check_predicate_type(value: str) -> str:
    if "://" not in value or any(c.isspace() for c in value):
        raise UsageError(f"--predicate-type must be a URI (e.g. https://slsa.dev/provenance/v1), got {value!r}.")
    return value


def attestation_maker(predicate_type: str, predicate: dict[str, Any]) -> MakeBundle:
    """A ``make`` for :func:`~idp.client.sign.sign_files`: one statement per file, signed as DSSE."""

    def make(signer: Signer, path: Path, data: bytes) -> Bundle:
        subject = Subject(name=path.name, digest=DigestSet(root={"sha256": hashlib.sha256(data).hexdigest()}))
        statement = (StatementBuilder().subjects([subject]).predicate_type(predicate_type)
                     .predicate(predicate).build())
        return signer.sign_dsse(statement)

    return make
