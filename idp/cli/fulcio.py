"""``hallmark fulcio-config``: the Fulcio OIDCIssuers entry for this deployment."""

import click

from idp.people.identity import IdentityConfigError, fulcio_config
from idp.platform.config import Settings


@click.command("fulcio-config")
def command() -> None:
    """Print the Fulcio configuration JSON that trusts this Hallmark."""
    try:
        click.echo(fulcio_config(Settings.from_env()))
    except IdentityConfigError as exc:
        raise click.ClickException(f"Fulcio would refuse this SubjectDomain: {exc}") from exc
