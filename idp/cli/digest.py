"""``hallmark digest BUNDLE``: the artifact's SHA-256 as recorded in a bundle."""

from pathlib import Path

import click

from idp.cli.client_errors import reported
from idp.client.bundles import load
from idp.client.shown import shown


@click.command("digest")
@click.argument("bundle", type=click.Path(path_type=Path))
@reported
def command(bundle: Path) -> None:
    """Print sha256:<hex> of what the bundle signs (for a DSSE bundle, each in-toto subject and its name)."""
    loaded = load(bundle)
    for name, digest in loaded.subjects:
        click.echo(f"sha256:{digest}" + (f" {shown(name)}" if name else ""))
