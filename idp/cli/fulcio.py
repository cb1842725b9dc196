"""``hallmark fulcio-config``: the Fulcio OIDCIssuers entry for this deployment."""

import click

from ..config import Settings
from ..identity import IdentityConfigError, fulcio_config


@click.command("fulcio-config")
def command() -> None:
    """Print the Fulcio configuration JSON that trusts this Hallmark."""
    try:
        click.echo(fulcio_config(Settings.from_env()))
    except IdentityConfigError as exc:
        raise click.ClickException(f"Fulcio would refuse this SubjectDomain: {exc}") from exc
