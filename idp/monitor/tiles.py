"""Reading a tiled log (C2SP tlog-tiles and static-ct-api) from the folder its server writes: the
checkpoint, and the entry bundles, full or partial, from a given index on.

Paths follow tlog-tiles: an index is written in three-digit groups, all but the last prefixed with
``x`` (1234067 → ``x001/x234/067``), and a partial bundle of W entries is ``N.p/W``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from idp.common.tlog_tiles import WIDTH, bundle_path


class TileMissing(FileNotFoundError):
    """The log's folder lacks a bundle its checkpoint covers."""


class TiledLog:
    """One log's folder: ``entries`` is ``tile/entries`` (tlog-tiles) or ``tile/data`` (static-ct)."""

    def __init__(self, folder: Path, entries: str):
        self.folder, self.entries = folder, entries

    def has_checkpoint(self) -> bool:
        return (self.folder / "checkpoint").is_file()

    def checkpoint(self) -> str:
        try:
            return (self.folder / "checkpoint").read_text()
        except OSError as exc:
            raise TileMissing(f"no checkpoint in {self.folder}: {exc.strerror}") from exc

    def bundle(self, number: int, tree_size: int) -> bytes:
        """Entry bundle ``number`` as it stands in a tree of ``tree_size`` entries."""
        path = bundle_path(self.folder, self.entries, number, min(WIDTH, tree_size - number * WIDTH))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise TileMissing(f"{path} is missing ({exc.strerror}): the log's folder is incomplete") from exc

    def bundles(self, start: int, tree_size: int) -> Iterator[tuple[int, bytes]]:
        """(index of the bundle's first entry, bundle) for every bundle holding entries from ``start`` on."""
        for number in range(start // WIDTH, (tree_size + WIDTH - 1) // WIDTH):
            yield number * WIDTH, self.bundle(number, tree_size)
