"""``hallmark tuf``: the TUF repository that distributes this instance's trust root."""

from __future__ import annotations

import json
from pathlib import Path

import click

from idp.platform.config import Settings
from idp.tufrepo import repository_for
from idp.tufrepo.repository import RepositoryError, TrustRepository

OFFLINE_WARNING = ("WARNING: root and targets keys were written to {keys}. That is fine for development; "
                   "in production keep root keys offline (another machine, or an HSM) and move them out "
                   "of the instance folder.")


def targets_from_trust_config(trust_config: Path | None, settings: Settings) -> dict[str, bytes]:
    """Split a ClientTrustConfig into the two TUF targets sigstore-python fetches."""
    path = trust_config or settings.instance_path / "devstack" / "trust_config.json"
    try:
        config = json.loads(Path(path).read_text())
        root, signing = config["trustedRoot"], config["signingConfig"]
    except OSError as exc:
        raise click.ClickException(f"cannot read the trust config {path}: {exc.strerror} "
                                   "(start 'hallmark devstack' or pass --trust-config)") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path} is not a ClientTrustConfig (trustedRoot + signingConfig)") from exc
    return {"trusted_root.json": json.dumps(root, indent=2).encode(),
            "signing_config.v0.2.json": json.dumps(signing, indent=2).encode()}


def _repository() -> tuple[Settings, TrustRepository]:
    settings = Settings.from_env()
    return settings, repository_for(settings.instance_path)


trust_option = click.option("--trust-config", type=click.Path(path_type=Path), default=None,
                            help="ClientTrustConfig to publish (default: the devstack's).")


@click.group("tuf")
def command() -> None:
    """Distribute the instance's trust root over TUF (stock 'sigstore --instance URL')."""


@command.command("init")
@trust_option
@click.option("--root-keys", default=3, show_default=True, help="Number of root keys.")
@click.option("--threshold", default=2, show_default=True, help="Root signatures required.")
def init(trust_config: Path | None, root_keys: int, threshold: int) -> None:
    """Create the repository (root, targets, snapshot, timestamp) and its keys."""
    settings, repository = _repository()
    try:
        repository.init(targets_from_trust_config(trust_config, settings), root_keys=root_keys, threshold=threshold)
    except RepositoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"TUF repository created at {settings.issuer}/tuf (root threshold {threshold} of {root_keys})")
    click.echo(OFFLINE_WARNING.format(keys=repository.key_folder), err=True)


@command.command("update")
@trust_option
def update(trust_config: Path | None) -> None:
    """Republish trusted_root.json and signing_config.v0.2.json (after a CA or log key change)."""
    settings, repository = _repository()
    try:
        version = repository.publish(targets_from_trust_config(trust_config, settings))
    except RepositoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"published targets version {version}")


@command.command("export-root")
@click.argument("output", type=click.Path(path_type=Path))
def export_root(output: Path) -> None:
    """Write the current root.json for distribution to signers and verifiers."""
    _, repository = _repository()
    try:
        version = repository.root_version()
    except RepositoryError as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes((repository.folder / f"{version}.root.json").read_bytes())
    click.echo(f"wrote root version {version} to {output}")


@command.command("rotate-root")
@click.option("--root-keys", default=3, show_default=True)
@click.option("--threshold", default=2, show_default=True)
def rotate_root(root_keys: int, threshold: int) -> None:
    """New root keys; the new root is signed by the old and the new, so clients follow."""
    _, repository = _repository()
    try:
        root = repository.rotate_root(root_keys=root_keys, threshold=threshold)
    except RepositoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"root version {root.signed.version}: {root_keys} new keys, threshold {threshold}")
