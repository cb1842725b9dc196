"""``hallmark digest BUNDLE``: the artifact's SHA-256 as recorded in a bundle."""

from pathlib import Path

import click

from ..client.bundles import load
from .client_errors import reported


@click.command("digest")
@click.argument("bundle", type=click.Path(path_type=Path))
@reported
def command(bundle: Path) -> None:
    """Print sha256:<hex> of the artifact the bundle signs."""
    click.echo(f"sha256:{load(bundle).digest_hex}")
