"""``hallmark db upgrade``: apply the schema migrations; ``hallmark db purge``: delete expired rows."""

import click

from idp.cli.context import app_context, upgrade_database


@click.group("db")
def command() -> None:
    """Database schema."""


@command.command("upgrade")
def upgrade() -> None:
    """Apply all migrations to the configured database."""
    from idp import create_app

    upgrade_database(create_app())
    click.echo("database is at the latest schema")


@command.command("purge")
def purge() -> None:
    """Delete expired codes, token records, challenges, login grants and device codes (run it hourly)."""
    from idp.store.housekeeping import purge_expired

    with app_context() as app:
        counts = purge_expired(app.extensions["hallmark"])
    click.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()))
