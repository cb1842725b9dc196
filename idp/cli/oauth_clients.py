"""``hallmark client add``: register OAuth clients."""

import click

from idp.cli.context import app_context
from idp.oauth.client_records import ClientRecordError, register, rotate_secret


@click.group("client")
def command() -> None:
    """OAuth clients."""


@command.command("add")
@click.argument("client_id")
@click.option("--name", default=None, help="Name shown on the sign-in page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, help="Exact redirect URI (repeatable).")
@click.option("--public", is_flag=True, help="A public client (PKCE, no secret) instead of a confidential one.")
@click.option("--fresh-touch", is_flag=True, help="Require a key touch for every authorization.")
def add(client_id: str, name: str | None, redirect_uris: tuple[str, ...], public: bool, fresh_touch: bool) -> None:
    """Register a client. A confidential client's secret is printed once."""
    with app_context():
        try:
            client, secret = register(client_id, name or client_id, list(redirect_uris),
                                      confidential=not public, fresh_touch=fresh_touch, actor="admin-cli")
        except ClientRecordError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"registered client {client.client_id}")
        if secret:
            click.echo(f"client secret (shown once, stored hashed): {secret}")


@command.command("rotate-secret")
@click.argument("client_id")
def rotate(client_id: str) -> None:
    """Give a confidential client a new secret, printed once; the old one stops working at once."""
    with app_context():
        try:
            secret = rotate_secret(client_id, actor="admin-cli")
        except ClientRecordError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"client secret of {client_id} (shown once, stored hashed; the old one no longer works): {secret}")
