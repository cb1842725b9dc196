"""``hallmark devstack``: the local Fulcio/CT/Rekor stand-in on loopback (development only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from idp.common.hosts import is_loopback_host
from idp.people.identity import IdentityConfigError, fulcio_config
from idp.platform.config import Settings

if TYPE_CHECKING:
    from idp.devstack.fulcio_config import FulcioConfig


def load_fulcio_config(path: str | None, settings: Settings) -> FulcioConfig:
    """The Fulcio config from ``path``, or the one matching this Hallmark (``hallmark fulcio-config``)."""
    from idp.devstack.fulcio_config import FulcioConfig, FulcioConfigError

    try:
        if path:
            return FulcioConfig.load(Path(path))
        return FulcioConfig.parse(fulcio_config(settings))
    except (FulcioConfigError, IdentityConfigError) as exc:
        raise click.ClickException(f"unusable Fulcio config: {exc}") from exc


@click.command("devstack")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--config", "config_path", default=None, help="A Fulcio config file (JSON or YAML).")
def command(host: str, port: int, config_path: str | None) -> None:
    """Serve the development CA, CT log and transparency log. Not a production CA."""
    from werkzeug.serving import make_server

    from idp.devstack import create_devstack_app

    if not is_loopback_host(host):
        raise click.ClickException("the devstack is a development tool and binds only to loopback addresses")
    settings = Settings.from_env()
    config = load_fulcio_config(config_path, settings)
    public_url = f"http://localhost:{port}"
    app = create_devstack_app(settings.instance_path / "devstack", config, public_url, settings.issuer)
    server = make_server(host, port, app, threaded=True)
    click.echo("Hallmark devstack: a Fulcio/CT/Rekor stand-in for development and tests, NOT a production CA.")
    click.echo(f"Fulcio API and Rekor API at {public_url}; trusting issuers: {', '.join(config.issuers)}")
    click.echo("Trust config for sigstore --trust-config:")
    click.echo(str(app.extensions["devstack"]["trust_config_path"]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
