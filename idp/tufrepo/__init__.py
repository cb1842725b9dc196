"""A TUF repository distributing the instance's trust root (python-tuf's metadata API).

Targets are the instance's ``trusted_root.json`` and ``signing_config.v0.2.json``: what stock
sigstore-python fetches with ``--instance URL``. Root and targets keys are offline keys in
production; the embedded default keeps them in the instance folder, with a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idp.tufrepo.repository import TrustRepository


def repository_for(instance_path: Path) -> TrustRepository:
    """The instance's repository: metadata in ``tuf/repository``, keys in ``tuf/keys``."""
    from idp.tufrepo.repository import TrustRepository

    return TrustRepository(instance_path / "tuf" / "repository", instance_path / "tuf" / "keys")


def publish_trust_config(instance_path: Path, targets: dict[str, bytes]) -> Path:
    """Create the repository (first time) or publish new targets; export the current ``root.json``
    to ``<instance>/tuf/root.json`` for signers and verifiers. Returns that path."""
    repository = repository_for(instance_path)
    if repository.exists:
        repository.publish(targets)
    else:
        repository.init(targets)
    root = instance_path / "tuf" / "root.json"
    root.write_bytes((repository.folder / f"{repository.root_version()}.root.json").read_bytes())
    return root


def root_fingerprint(instance_path: Path) -> tuple[int, str] | None:
    """(version, SHA-256) of the root that ``hallmark tuf export-root`` hands out: what people pin."""
    import hashlib

    from idp.tufrepo.repository import RepositoryError

    repository = repository_for(instance_path)
    try:
        version = repository.root_version()
    except RepositoryError:
        return None
    return version, hashlib.sha256((repository.folder / f"{version}.root.json").read_bytes()).hexdigest()
