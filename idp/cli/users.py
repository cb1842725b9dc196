"""``hallmark user disable|enable|delete USERNAME``: stop, restore or delete an account."""

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


@command.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(username: str, yes: bool) -> None:
    """Delete USERNAME's account and everything that is theirs; the username is never given out again."""
    from idp.people.account_deletion import delete_account
    from idp.store.models import User

    with app_context():
        user = User.query.filter_by(username=username).first()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        if not yes:
            click.confirm(f"Delete {username} and everything Hallmark holds about them?", abort=True)
        delete_account(user, actor="admin-cli")
    click.echo(f"{username} is deleted; the username is retired")


@command.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Let USERNAME log in again."""
    _set(username, False)
