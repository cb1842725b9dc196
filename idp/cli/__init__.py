"""The ``hallmark`` command. Each subcommand group lives in a module of its own."""

from __future__ import annotations

import sys

import click

from ..config import ConfigError


class FriendlyGroup(click.Group):
    """Turns configuration and domain errors into one clear line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"hallmark: configuration error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=FriendlyGroup)
def main() -> None:
    """Hallmark: an OpenID Connect provider for keyless signing, security keys only."""


def _register() -> None:
    from . import clients, db, devstack, digest, fulcio, invites, keys, serve, sign, verify

    for module in (serve, devstack, sign, verify, digest, db, invites, keys, clients, fulcio):
        main.add_command(module.command)


_register()
