"""``hallmark trust URL root.json``: trust a community's instance once; later runs use ``--idp URL``."""

from pathlib import Path

import click

from idp.cli.client_errors import reported
from idp.client.shown import shown
from idp.client.tufclient import trust


@click.command("trust")
@click.argument("idp_url")
@click.argument("root_json", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace what this machine already trusts for IDP_URL "
              "(another repository or another root), saying what changes.")
@reported
def command(idp_url: str, root_json: Path, replace: bool) -> None:
    """Bind IDP_URL to the TUF repository its discovery names, bootstrapped from ROOT_JSON (published by
    the community). Compare the root keys printed with what your community published."""
    result = trust(idp_url.rstrip("/"), root_json, replace=replace)
    binding = result.binding
    if result.replaced is not None:
        old = result.replaced
        click.echo(f"replaced: {shown(old.idp_url)} was bound to {shown(old.tuf_url)} with root keys "
                   f"{', '.join(old.root_keys)}")
    state = "already trusted" if result.unchanged else "trusted"
    click.echo(f"{state} {shown(binding.tuf_url)} for {shown(binding.idp_url)}")
    click.echo("root keys (compare them with what your community published):")
    for key in binding.root_keys:
        click.echo(f"  {key}")
    click.echo(f"use 'hallmark sign --idp {shown(binding.idp_url)}' and 'hallmark verify --idp "
               f"{shown(binding.idp_url)}'")
