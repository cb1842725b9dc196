"""Shared helper: an app with a migrated database, for commands that touch data."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask


def upgrade_database(app: Flask) -> None:
    """Apply every Alembic migration (idempotent), then first-run preparation."""
    from flask_migrate import upgrade

    from .. import prepare

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    prepare(app)


@contextmanager
def app_context():
    """An application context on a migrated database."""
    from .. import create_app

    app = create_app()
    upgrade_database(app)
    with app.app_context():
        yield app
