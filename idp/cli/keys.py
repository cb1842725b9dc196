"""``hallmark keys``: list and rotate token-signing keys."""


import click

from idp.cli.context import app_context
from idp.oauth import signing_keys
from idp.store.models import SigningKey


@click.group("keys")
def command() -> None:
    """Token-signing keys."""


@command.command("list")
def list_keys() -> None:
    """Show each key's state and dates (read only: the database is neither migrated nor changed)."""
    with app_context(read_only=True):
        for key in SigningKey.query.order_by(SigningKey.id).all():
            activated = key.activated_at.isoformat(timespec="seconds") if key.activated_at else "-"
            retire = key.retire_after.isoformat(timespec="seconds") if key.retire_after else "-"
            created = key.created_at.isoformat(timespec="seconds")
            click.echo(f"{key.kid}  {key.state:<8}  {key.custody:<8}  created {created}  "
                       f"active {activated}  retire after {retire}")


@command.command("rotate")
def rotate() -> None:
    """Start signing with the already-published next key; the old key stays in JWKS until its tokens expire."""
    with app_context() as app:
        key = signing_keys.rotate(app.extensions["hallmark"], actor="admin-cli")
        click.echo(f"now signing with {key.kid}; a new next key is published")
