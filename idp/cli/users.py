"""``hallmark user disable|enable USERNAME``: stop (or restore) an account, e.g. after a stolen key."""

import click

from idp.cli.context import app_context
from idp.people.accounts import AccountError, set_disabled


@click.group("user")
def command() -> None:
    """Accounts."""


def _set(username: str, disabled: bool) -> None:
    with app_context():
        try:
            set_disabled(username, disabled, actor="admin-cli")
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{username} is now {'disabled' if disabled else 'enabled'}")


@command.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Refuse logins and token redemption for USERNAME; its sessions end at their next request."""
    _set(username, True)


@command.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Let USERNAME log in again."""
    _set(username, False)
