"""``hallmark invite create``: one-time enrollment links."""

import click

from idp.cli.context import app_context
from idp.people import invites
from idp.people.invites import enrollment_link
from idp.store.models import User


@click.group("invite")
def command() -> None:
    """Enrollment invitations."""


@command.command("create")
@click.option("--admin", is_flag=True, help="The person enrolling becomes an administrator.")
@click.option("--recover", "recover", metavar="USERNAME", default=None,
              help="A link that adds a new key to USERNAME's account (they lost every key); their old keys "
                   "are revoked when it is used.")
def create(admin: bool, recover: str | None) -> None:
    """Print a one-time enrollment link (valid 24 hours) as the last line."""
    with app_context() as app:
        settings = app.extensions["hallmark"]
        if recover is not None:
            user = User.query.filter_by(username=recover).first()
            if user is None or user.disabled_at is not None:
                raise click.ClickException(f"no active account named {recover!r}")
            if admin:
                raise click.ClickException("--recover keeps the account's role; do not combine it with --admin")
            token = invites.create(admin=False, lifetime=settings.invite_lifetime, recover_user_id=user.id,
                                   actor="admin-cli")
            click.echo(f"One-time recovery link for {recover} (expires in 24 hours; their old keys are revoked "
                       "when it is used):")
        else:
            token = invites.create(admin=admin, lifetime=settings.invite_lifetime, actor="admin-cli")
            click.echo(f"One-time {'administrator ' if admin else ''}enrollment link (expires in 24 hours):")
        click.echo(enrollment_link(settings.issuer, token))
