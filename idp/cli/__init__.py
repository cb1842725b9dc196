"""The ``hallmark`` command. Each subcommand lives in a module of its own, imported only when used."""

from __future__ import annotations

import importlib
import sys

import click

from ..config import ConfigError

COMMANDS = {
    "dev": "dev", "serve": "serve", "devstack": "devstack", "sign": "sign", "verify": "verify",
    "digest": "digest", "db": "db", "invite": "invites", "keys": "keys", "client": "clients",
    "fulcio-config": "fulcio", "tuf": "tuf", "trust": "trust",
    "backup": "backup:backup_command", "restore": "backup:restore_command", "user": "users",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module on first use (signing need not load the server), and turns
    configuration errors into one clear line and exit code 2."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        module, _, attribute = module.partition(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute or "command")

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"hallmark: configuration error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=LazyGroup)
def main() -> None:
    """Hallmark: an OpenID Connect provider for keyless signing, security keys only."""
