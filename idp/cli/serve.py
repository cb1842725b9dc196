"""``hallmark serve``: run the identity provider (gunicorn, or Flask's server with --debug)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from idp.cli.context import upgrade_database
from idp.people import invites
from idp.people.invites import enrollment_link
from idp.store.models import User

if TYPE_CHECKING:
    from flask import Flask


def _first_admin_link(app: Flask) -> str | None:
    with app.app_context():
        if User.query.filter_by(is_admin=True).first() is not None:
            return None
        settings = app.extensions["hallmark"]
        token = invites.create(admin=True, lifetime=settings.invite_lifetime, actor="first-run")
        return enrollment_link(settings.issuer, token)


def issuer_mismatch(issuer: str, port: int) -> list[str]:
    """Why a loopback issuer cannot be the address this server answers on (links, cookies and WebAuthn
    would all fail), in sentences; nothing for a public issuer, which sits behind a proxy."""
    from urllib.parse import urlsplit

    from idp.common.hosts import is_loopback_host

    parts = urlsplit(issuer)
    if not is_loopback_host(parts.hostname or ""):
        return []
    found = []
    if parts.scheme == "https":
        found.append(f"HALLMARK_ISSUER is {issuer}, but hallmark serve speaks plain http: a browser cannot open "
                     f"its links. For development use HALLMARK_ISSUER=http://localhost:{port}; for https put a "
                     "TLS proxy in front.")
    issuer_port = parts.port or (443 if parts.scheme == "https" else 80)
    if issuer_port != port:
        found.append(f"HALLMARK_ISSUER is {issuer} (port {issuer_port}), but this server listens on port {port}: "
                     f"links and logins will fail. Set HALLMARK_ISSUER=http://localhost:{port}, or serve on "
                     f"--port {issuer_port}.")
    return found


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn workers (default: one per CPU, at least 2)")
@click.option("--debug", is_flag=True, help="Use Flask's development server with the debugger.")
@click.option("--no-invite", is_flag=True, help="Do not create the first administrator's link (hallmark dev does).")
def command(host: str, port: int, workers: int | None, debug: bool, no_invite: bool) -> None:
    """Serve Hallmark. Applies migrations first; prints an admin enrollment link if there is no admin yet."""
    from idp import create_app
    from idp.common.hosts import is_loopback_host

    if debug and not is_loopback_host(host):
        raise click.UsageError(f"--debug serves Flask's debugger, which runs code for whoever reaches it: "
                               f"only on a loopback address, not {host}")
    app = create_app()
    upgrade_database(app)
    settings = app.extensions["hallmark"]
    for warning in issuer_mismatch(settings.issuer, port):
        click.echo(f"warning: {warning}", err=True)
    link = None if no_invite else _first_admin_link(app)
    click.echo(f"Hallmark issuer {settings.issuer} (instance folder {settings.instance_path})")
    if link:
        click.echo("No administrator yet. Enroll the first one with this one-time link (24 hours):")
        click.echo(link)
    from idp.store.db import db

    with app.app_context():
        db.engine.dispose()  # no pooled connection may be shared by the forked workers
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    from idp.platform.gunicorn_defaults import settings as gunicorn_settings

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information
        def load_config(self) -> None:
            for key, value in gunicorn_settings(bind=f"{host}:{port}", workers=workers).items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Server().run()
