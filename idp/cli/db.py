"""``hallmark db upgrade``: apply the schema migrations."""

import click

from .context import upgrade_database


@click.group("db")
def command() -> None:
    """Database schema."""


@command.command("upgrade")
def upgrade() -> None:
    """Apply all migrations to the configured database."""
    from .. import create_app

    upgrade_database(create_app())
    click.echo("database is at the latest schema")
