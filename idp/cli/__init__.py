"""The ``hallmark`` command. Each subcommand lives in a module of its own, imported only when used."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from idp.platform.config import ConfigError

COMMANDS = {
    "dev": "dev", "serve": "serve", "attest": "attest", "devstack": "devstack", "sign": "sign", "verify": "verify",
    "digest": "digest", "db": "db", "invite": "invites", "keys": "keys", "client": "oauth_clients",
    "fulcio-config": "fulcio", "tuf": "tuf", "stack": "stack", "monitor": "monitor", "trust": "trust",
    "backup": "backup:backup_command", "restore": "backup:restore_command", "user": "users",
    "attestation": "attestation",
}


# What `hallmark --help` lists, without importing every command (that loads Flask and sigstore, ~2 s).
# tests/test_cli.py checks that each line is the command's own first docstring sentence.
SUMMARIES = {
    "attestation": "Which authenticator models may register.",
    "attest": "Attest FILES: an in-toto statement about each, signed as a DSSE bundle (as PEP 740 uses).",
    "backup": "Write a consistent snapshot (database, keys, secrets).",
    "client": "OAuth clients.",
    "db": "Database schema.",
    "dev": "Run Hallmark and the development Sigstore stack.",
    "monitor": "Match every certificate in the logs to a signing login Hallmark made.",
    "devstack": "Serve the development CA, CT log and transparency log.",
    "digest": "Print sha256:<hex> of what a bundle signs.",
    "fulcio-config": "Print the Fulcio configuration for this issuer.",
    "invite": "Enrollment invitations.",
    "keys": "Token-signing keys.",
    "restore": "Bring a fresh instance back from a backup.",
    "serve": "Serve Hallmark.",
    "sign": "Sign FILES: key touch, certificate, log entry, bundle.",
    "stack": "A complete private Sigstore: the real Fulcio, CT log, Rekor v2 and TSA.",
    "trust": "Bind IDP_URL to its TUF repository, once per machine.",
    "tuf": "Distribute the instance's trust root over TUF.",
    "user": "Accounts.",
    "verify": "Verify FILES.",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module on first use (signing need not load the server), and turns
    configuration errors into one clear line and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        module, _, attribute = module.partition(":")
        found: click.Command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute or "command")
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`SUMMARIES`: ``--help`` imports no subcommand."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"hallmark: configuration error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=LazyGroup)
def main() -> None:
    """Hallmark: an OpenID Connect provider for keyless signing, security keys only."""
