"""``hallmark invite create``: one-time enrollment links."""

import click

from .. import audit, invites
from .context import app_context


def enrollment_link(issuer: str, token: str) -> str:
    return f"{issuer}/enroll/{token}"


@click.group("invite")
def command() -> None:
    """Enrollment invitations."""


@command.command("create")
@click.option("--admin", is_flag=True, help="The person enrolling becomes an administrator.")
def create(admin: bool) -> None:
    """Print a one-time enrollment link (valid 24 hours) as the last line."""
    with app_context() as app:
        settings = app.extensions["hallmark"]
        token = invites.create(admin=admin, lifetime=settings.invite_lifetime)
        audit.record("invite.created", actor="admin-cli", admin=admin)
        click.echo(f"One-time {'administrator ' if admin else ''}enrollment link (expires in 24 hours):")
        click.echo(enrollment_link(settings.issuer, token))
