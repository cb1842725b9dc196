"""``hallmark backup FILE`` and ``hallmark restore FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from idp.cli.context import app_context
from idp.people import audit
from idp.platform.config import environment
from idp.store import backup
from idp.store.db import db


@click.command("backup")
@click.argument("output", type=click.Path(path_type=Path))
def backup_command(output: Path) -> None:
    """Write a consistent snapshot (database + keys + secrets); encrypted when HALLMARK_KEY_PASSPHRASE is set."""
    with app_context(read_only=True) as app:
        settings = app.extensions["hallmark"]
        document = backup.snapshot(settings.instance_path)
        try:
            backup.write(output, backup.seal(document, settings.key_passphrase))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        audit.record("instance.backed_up", actor="admin-cli")
        db.session.commit()
    rows = sum(len(r) for r in document["tables"].values())
    sealed = "encrypted with HALLMARK_KEY_PASSPHRASE" if settings.key_passphrase else \
        "NOT encrypted (set HALLMARK_KEY_PASSPHRASE): it holds the key passphrase, keep it safe"
    click.echo(f"wrote {output}: {rows} rows from {len(document['tables'])} tables, {sealed}")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def restore_command(source: Path) -> None:
    """Bring a fresh instance back to the users, keys and audit log of a backup."""
    with app_context(first_run=False) as app:
        settings = app.extensions["hallmark"]
        try:
            document = backup.unseal(source.read_bytes(), settings.key_passphrase or environment(
                "HALLMARK_BACKUP_PASSPHRASE"))
            counts = backup.restore(document, settings.instance_path)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {counts.get('users', 0)} users, {counts.get('credentials', 0)} keys, "
               f"{counts.get('signing_keys', 0)} signing keys, {counts.get('audit_events', 0)} audit events")

