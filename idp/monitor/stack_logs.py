"""The logs to watch: those of a stack ``hallmark stack`` made, or the tiled copies the development
stand-in writes (``idp/devstack/tile_mirror.py``); their folders, and their keys from the trusted root."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idp.monitor import entries, notes
from idp.monitor.runner import WatchedLog
from idp.monitor.tiles import TiledLog
from idp.stack.layout import Layout, StackConfig


class MonitorSetupError(ValueError):
    """The stack's trusted root lacks a log key the monitor needs."""


def _key(section: list[dict[str, Any]], origin: str) -> notes.LogKey:
    if not section:
        raise MonitorSetupError("the stack's trusted_root.json lists no such log")
    raw = base64.b64decode(section[0]["publicKey"]["rawBytes"])
    public = serialization.load_der_public_key(raw)
    if not isinstance(public, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey)):
        raise MonitorSetupError(f"the log key of {origin} is a {type(public).__name__}, not Ed25519 or ECDSA")
    return notes.LogKey(origin=origin, public_key=public)


def watched_logs(layout: Layout, config: StackConfig) -> list[WatchedLog]:
    """The CT log, then Rekor v2, as this stack writes them."""
    root = json.loads(layout.trusted_root.read_text())
    return [
        WatchedLog(name="ct", title="CT log", log=TiledLog(layout.storage("tesseract"), "data"),
                   key=_key(root.get("ctlogs", []), config.ct_origin), parse=entries.ct_entries,
                   leaves=entries.ct_leaves),
        WatchedLog(name="rekor", title="Rekor log", log=TiledLog(layout.storage("rekor"), "entries"),
                   key=_key(root.get("tlogs", []), config.rekor_origin), parse=entries.rekor_entries,
                   leaves=entries.rekor_leaves),
    ]


def watched_stand_in(folder: Path) -> list[WatchedLog]:
    """The stand-in's CT log, then its Rekor log, from the tiled copies under ``folder/tiles``."""
    trust = json.loads((folder / "trust_config.json").read_text())["trustedRoot"]
    origin = urlsplit(trust["tlogs"][0]["baseUrl"]).netloc
    return [
        WatchedLog(name="ct", title="CT log (stand-in)", log=TiledLog(folder / "tiles" / "ct", "data"),
                   key=_key(trust.get("ctlogs", []), f"{origin}/ct"), parse=entries.ct_entries,
                   leaves=entries.ct_leaves),
        WatchedLog(name="rekor", title="Rekor log (stand-in)", log=TiledLog(folder / "tiles" / "rekor", "entries"),
                   key=_key(trust.get("tlogs", []), origin), parse=entries.rekor_entries,
                   leaves=entries.rekor_leaves),
    ]
