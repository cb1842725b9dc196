"""Shared helper: an app with a migrated database, for commands that touch data."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask


def upgrade_database(app: Flask, first_run: bool = True) -> None:
    """Apply every Alembic migration (idempotent), then (unless told not to) first-run preparation."""
    from flask_migrate import upgrade

    from idp import prepare

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    if first_run:
        prepare(app)


@contextmanager
def app_context(first_run: bool = True):
    """An application context on a migrated database (``first_run=False``: no keys or clients created)."""
    from idp import create_app

    app = create_app()
    upgrade_database(app, first_run)
    with app.app_context():
        yield app
