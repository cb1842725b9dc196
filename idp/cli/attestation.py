"""``hallmark attestation check``: verify a FIDO metadata BLOB and say what the attestation policy will do."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from idp.ceremony.attestation import refusing_report
from idp.ceremony.metadata import MetadataError, load
from idp.platform import clock
from idp.platform.config import ConfigError, Settings


@click.group("attestation")
def command() -> None:
    """Which authenticator models may register."""


@command.command("check")
@click.option("--blob", type=click.Path(dir_okay=False, path_type=Path),
              help="a BLOB to check before putting it in place (default: HALLMARK_MDS_BLOB)")
@click.option("--root", type=click.Path(dir_okay=False, path_type=Path),
              help="the FIDO root certificate (default: HALLMARK_MDS_ROOT)")
def check(blob: Path | None, root: Path | None) -> None:
    """Verify the BLOB to its root and list the allowed models; exit 1 if new keys would be refused for it."""
    cfg = Settings.from_env()
    blob = blob or (Path(cfg.mds_blob) if cfg.mds_blob else None)
    root = root or (Path(cfg.mds_root) if cfg.mds_root else None)
    if blob is None or root is None:
        raise ConfigError("no FIDO metadata configured: set HALLMARK_MDS_BLOB and HALLMARK_MDS_ROOT, "
                          "or give --blob and --root")
    now = clock.now()
    try:
        metadata = load(blob, root, now)
    except MetadataError as exc:
        click.echo(f"hallmark: refused: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{blob}: BLOB number {metadata.number}, {metadata.size} models, verified to {root}")
    problems = 0
    if metadata.stale(now.date()):
        click.echo(f"  expired: its next update was due {metadata.next_update.isoformat()}; new keys are refused "
                   "until a current BLOB is in place")
        problems += 1
    else:
        click.echo(f"  current until {metadata.next_update.isoformat()}")
    for aaguid in cfg.allowed_aaguids:
        found = metadata.entry_by_aaguid(aaguid)
        if found is None:
            click.echo(f"  {aaguid}: not in this BLOB: keys of this model would be refused")
            problems += 1
            continue
        name = found.metadata_statement.description if found.metadata_statement else "(no statement)"
        refused = refusing_report(found)
        if refused is not None:
            click.echo(f"  {aaguid} {name}: reported {refused.status.value}: refused")
            problems += 1
        else:
            click.echo(f"  {aaguid} {name}: allowed")
    mode = ("only the models listed in HALLMARK_ALLOWED_AAGUIDS" if cfg.allowed_aaguids
            else "keys that prove a model in the BLOB" if cfg.attestation_required
            else "any key; models are named when proven, revoked models refused")
    click.echo(f"policy: {mode}")
    sys.exit(1 if problems else 0)
