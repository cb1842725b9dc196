"""``hallmark trust URL root.json``: trust a community's instance once; later runs use ``--idp URL``."""

from pathlib import Path

import click

from ..client.tufclient import trust
from .client_errors import reported


@click.command("trust")
@click.argument("idp_url")
@click.argument("root_json", type=click.Path(path_type=Path))
@reported
def command(idp_url: str, root_json: Path) -> None:
    """Bootstrap trust in IDP_URL's TUF repository from ROOT_JSON (published by the community)."""
    tuf_url = trust(idp_url.rstrip("/"), root_json)
    click.echo(f"trusted {tuf_url}; use 'hallmark sign --idp {idp_url}' and 'hallmark verify --idp {idp_url}'")
