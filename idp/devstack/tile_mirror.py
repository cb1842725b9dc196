"""A tiled copy of one of the stand-in's logs, for the identity monitor: the stand-in's CT log keeps no
entries of its own, and its Rekor v1 log keeps them in SQLite; each also writes them as the real logs do
(``idp/common/tlog_tiles.py``) under ``tiles/ct`` and ``tiles/rekor``, with a checkpoint signed by the
log's own key, so that ``hallmark monitor`` reads the stand-in exactly as it reads the real stack."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from idp.common import merkle
from idp.common.tlog_tiles import WIDTH, signed_checkpoint, write_bundle

SCHEMA = "CREATE TABLE IF NOT EXISTS entries (log_index INTEGER PRIMARY KEY, framed BLOB NOT NULL, leaf BLOB NOT NULL)"


class TileMirror:
    """Appends entries to one tiled log folder and republishes its checkpoint."""

    def __init__(self, folder: Path, entries: str, key: ec.EllipticCurvePrivateKey, origin: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.entries, self.key, self.origin = folder, entries, key, origin
        self._lock = threading.Lock()
        self._db = sqlite3.connect(folder / "entries.db", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)
        self.frontier = merkle.Frontier()
        for (leaf,) in self._db.execute("SELECT leaf FROM entries ORDER BY log_index"):
            self.frontier.append(merkle.leaf_hash(leaf))
        self._publish()

    def append(self, framed: bytes, leaf: bytes) -> int:
        """Add an entry (``framed`` as its bundle holds it, ``leaf`` as the tree hashes it); returns its index."""
        with self._lock:
            index = self.frontier.size
            self._db.execute("INSERT INTO entries (log_index, framed, leaf) VALUES (?, ?, ?)", (index, framed, leaf))
            self.frontier.append(merkle.leaf_hash(leaf))
            number = index // WIDTH
            rows = self._db.execute("SELECT framed FROM entries WHERE log_index >= ? AND log_index < ? "
                                    "ORDER BY log_index", (number * WIDTH, (number + 1) * WIDTH)).fetchall()
            write_bundle(self.folder, self.entries, number, [row[0] for row in rows])
            self._publish()
            return index

    def _publish(self) -> None:
        path, tmp = self.folder / "checkpoint", self.folder / "checkpoint.tmp"
        tmp.write_text(signed_checkpoint(self.key, self.origin, self.frontier.size, self.frontier.root()))
        tmp.replace(path)

    def close(self) -> None:
        self._db.close()
