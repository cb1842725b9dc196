"""The repository: create, publish targets, keep timestamp/snapshot fresh, rotate the root."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from idp.tufrepo import keys

TARGET_NAMES = ("trusted_root.json", "signing_config.v0.2.json")
LIFETIMES = {"root": timedelta(days=365), "targets": timedelta(days=365),
             "snapshot": timedelta(days=7), "timestamp": timedelta(days=1)}
SERIALIZER = JSONSerializer(compact=False)


class RepositoryError(RuntimeError):
    """The repository cannot do what was asked; the message says why."""


def _expiry(role: str, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return (now + LIFETIMES[role]).replace(microsecond=0)


class TrustRepository:
    """Metadata in ``folder`` (served as is), private keys in ``key_folder``."""

    def __init__(self, folder: Path, key_folder: Path):
        self.folder, self.key_folder = Path(folder), Path(key_folder)
        self.targets_folder = self.folder / "targets"

    @property
    def exists(self) -> bool:
        return (self.folder / "timestamp.json").exists()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across processes (several gunicorn workers may refresh)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- reading -------------------------------------------------------------------------
    def root_version(self) -> int:
        versions = [int(p.name.split(".")[0]) for p in self.folder.glob("*.root.json")]
        if not versions:
            raise RepositoryError(f"no TUF repository in {self.folder}: run 'hallmark tuf init'")
        return max(versions)

    def root(self) -> Metadata[Root]:
        return Metadata.from_file(str(self.folder / f"{self.root_version()}.root.json"))

    def expiries(self) -> dict[str, datetime]:
        """When each role's current metadata expires (online roles are refreshed by the server)."""
        return {role: self._latest(role).signed.expires for role in ("root", "targets", "snapshot", "timestamp")}

    def _latest(self, role: str) -> Metadata[Any]:
        if role == "timestamp":
            return Metadata.from_file(str(self.folder / "timestamp.json"))
        versions = [int(p.name.split(".")[0]) for p in self.folder.glob(f"*.{role}.json")]
        return Metadata.from_file(str(self.folder / f"{max(versions)}.{role}.json"))

    def _signers(self, role: str, root: Root | None = None) -> list[Signer]:
        root = root or self.root().signed
        found = [keys.load(self.key_folder, keyid) for keyid in root.roles[role].keyids]
        signers: list[Signer] = [s for s in found if s is not None]
        if len(signers) < root.roles[role].threshold:
            raise RepositoryError(f"{len(signers)} of the {root.roles[role].threshold} {role} keys needed are in "
                                  f"{self.key_folder}; bring the offline keys to sign {role} metadata")
        return signers

    # ---- writing -------------------------------------------------------------------------
    def _write(self, md: Metadata[Any], signers: Sequence[Signer], name: str) -> None:
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        tmp = self.folder / f".{name}.tmp"
        md.to_file(str(tmp), serializer=SERIALIZER)
        os.replace(tmp, self.folder / name)

    def init(self, targets: dict[str, bytes], *, root_keys: int = 3, threshold: int = 2) -> Metadata[Root]:
        """Create version 1 of every role; generates the keys."""
        if self.exists:
            raise RepositoryError(f"a TUF repository already exists in {self.folder}")
        if not 1 <= threshold <= root_keys:
            raise RepositoryError("the root threshold must be between 1 and the number of root keys")
        with self._locked():
            root = Root(expires=_expiry("root"), consistent_snapshot=True)
            root_signers = [keys.generate(self.key_folder, "root") for _ in range(root_keys)]
            for signer in root_signers:
                root.add_key(signer.public_key, "root")
            root.roles["root"].threshold = threshold
            for role in ("targets", "snapshot", "timestamp"):
                root.add_key(keys.generate(self.key_folder, role).public_key, role)
            self._write(Metadata(root), root_signers, "1.root.json")
            self._publish(root, targets, new_targets=Targets(expires=_expiry("targets")))
        return self.root()

    def publish(self, targets: dict[str, bytes]) -> int:
        """New targets version with these files; then snapshot and timestamp. Returns the targets version."""
        with self._locked():
            current = self._latest("targets").signed
            current.version += 1
            current.expires = _expiry("targets")
            return self._publish(self.root().signed, targets, new_targets=current)

    def _publish(self, root: Root, files: dict[str, bytes], *, new_targets: Targets) -> int:
        self.targets_folder.mkdir(parents=True, exist_ok=True)
        new_targets.targets = {}
        for name, data in files.items():
            digest = hashlib.sha256(data).hexdigest()
            (self.targets_folder / f"{digest}.{name}").write_bytes(data)
            new_targets.targets[name] = TargetFile.from_data(name, data, ["sha256"])
        self._write(Metadata(new_targets), self._signers("targets", root), f"{new_targets.version}.targets.json")
        self._new_snapshot(root, new_targets.version)
        return new_targets.version

    def _new_snapshot(self, root: Root, targets_version: int) -> None:
        if any(self.folder.glob("*.snapshot.json")):
            snapshot = self._latest("snapshot").signed
            snapshot.version += 1
        else:
            snapshot = Snapshot()
        snapshot.expires = _expiry("snapshot")
        snapshot.meta["targets.json"] = MetaFile(version=targets_version)
        self._write(Metadata(snapshot), self._signers("snapshot", root), f"{snapshot.version}.snapshot.json")
        self._new_timestamp(root, snapshot.version)

    def _new_timestamp(self, root: Root, snapshot_version: int) -> None:
        if self.exists:
            timestamp = self._latest("timestamp").signed
            timestamp.version += 1
        else:
            timestamp = Timestamp()
        timestamp.expires = _expiry("timestamp")
        timestamp.snapshot_meta = MetaFile(version=snapshot_version)
        self._write(Metadata(timestamp), self._signers("timestamp", root), "timestamp.json")

    def refresh_online_roles(self, margin: float = 0.5, now: datetime | None = None) -> bool:
        """Re-sign snapshot and timestamp when less than ``margin`` of their lifetime is left."""
        now = now or datetime.now(UTC)
        if not self.exists:
            return False

        def stale(md: Metadata[Any], role: str) -> bool:
            return bool(md.signed.expires - now < LIFETIMES[role] * margin)

        if not (stale(self._latest("timestamp"), "timestamp") or stale(self._latest("snapshot"), "snapshot")):
            return False
        with self._locked():
            root = self.root().signed
            snapshot = self._latest("snapshot")
            if stale(snapshot, "snapshot"):
                self._new_snapshot(root, snapshot.signed.meta["targets.json"].version)
            elif stale(self._latest("timestamp"), "timestamp"):
                self._new_timestamp(root, snapshot.signed.version)
        return True

    def rotate_root(self, *, root_keys: int = 3, threshold: int = 2) -> Metadata[Root]:
        """A new root version with new root keys, signed by the old threshold and the new keys."""
        with self._locked():
            old = self.root()
            old_signers = self._signers("root", old.signed)
            new_signers = [keys.generate(self.key_folder, "root") for _ in range(root_keys)]
            root = old.signed
            for keyid in list(root.roles["root"].keyids):
                root.revoke_key(keyid, "root")
            for signer in new_signers:
                root.add_key(signer.public_key, "root")
            root.roles["root"].threshold = threshold
            root.version += 1
            root.expires = _expiry("root")
            self._write(Metadata(root), [*old_signers, *new_signers], f"{root.version}.root.json")
        return self.root()
