"""Reading Sigstore bundles from disk, with clear errors, and the facts a person wants from them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sigstore.models import Bundle

from . import ClientError


@dataclass(frozen=True)
class LoadedBundle:
    path: Path
    bundle: Bundle
    digest_hex: str
    integrated_time: datetime | None
    log_index: int | None


def load(path: Path) -> LoadedBundle:
    """Parse a ``.sigstore.json`` bundle."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ClientError(f"{path}: bundle not found. Sign the file first, or pass --bundle.") from exc
    except OSError as exc:
        raise ClientError(f"{path}: cannot read the bundle ({exc.strerror}).") from exc
    try:
        raw = json.loads(text)
        bundle = Bundle.from_json(text)
    except Exception as exc:  # sigstore raises several types for malformed bundles
        raise ClientError(f"{path}: not a valid Sigstore bundle ({exc}).") from exc
    digest = (raw.get("messageSignature") or {}).get("messageDigest") or {}
    entries = (raw.get("verificationMaterial") or {}).get("tlogEntries") or [{}]
    when = entries[0].get("integratedTime")
    index = entries[0].get("logIndex")
    return LoadedBundle(path=path, bundle=bundle,
                        digest_hex=base64.b64decode(digest.get("digest", "")).hex(),
                        integrated_time=datetime.fromtimestamp(int(when), timezone.utc) if when else None,
                        log_index=int(index) if index is not None else None)


def default_bundle(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".sigstore.json")


def candidates(artifact: Path, extra: list[Path]) -> list[Path]:
    """``FILE.sigstore.json``, ``FILE.<label>.sigstore.json`` and any ``--bundle`` given, without repeats."""
    found = [default_bundle(artifact)] if default_bundle(artifact).exists() else []
    found += sorted(artifact.parent.glob(f"{glob_escape(artifact.name)}.*.sigstore.json"))
    for path in extra:
        if path not in found:
            found.append(path)
    return found


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
