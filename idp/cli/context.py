"""Shared helper: an app on the instance's database, migrated first for the commands that change data.

Read-only commands (``keys list``, ``backup``) never migrate: a backup taken before an upgrade must
describe the database as it was. They refuse a database that is not at this release's schema instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask


def upgrade_database(app: Flask, first_run: bool = True) -> None:
    """Apply every Alembic migration (idempotent), then (unless told not to) first-run preparation."""
    from flask_migrate import upgrade

    from idp import prepare

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    if first_run:
        prepare(app)


def require_current_schema(app: Flask) -> None:
    """Refuse, with what to do, a database that is not at the newest migration."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from idp.store.db import db

    heads = set(ScriptDirectory(app.extensions["migrate"].directory).get_heads())
    with app.app_context(), db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        raise click.ClickException("this database has no Hallmark schema yet: run `hallmark db upgrade` first")
    if current != heads:
        raise click.ClickException(f"this database is at schema {', '.join(sorted(current))} and this Hallmark "
                                   f"needs {', '.join(sorted(heads))}: run `hallmark db upgrade` first")


@contextmanager
def app_context(first_run: bool = True, *, read_only: bool = False) -> Iterator[Flask]:
    """An application context on a migrated database (``first_run=False``: no keys or clients created;
    ``read_only=True``: not migrated, and refused unless the schema is current)."""
    from idp import create_app

    app = create_app()
    if read_only:
        require_current_schema(app)
    else:
        upgrade_database(app, first_run)
    with app.app_context():
        yield app
