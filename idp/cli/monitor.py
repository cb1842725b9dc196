"""``hallmark monitor run|follow``: match every certificate and signature in the stack's logs to a signing
login Hallmark made (docs/monitoring.md). ``run`` exits 0 when nothing new was found and 1 when it found
something — for a systemd timer or cron."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from idp.cli.context import app_context
from idp.platform.config import Settings

if TYPE_CHECKING:
    from idp.monitor.runner import WatchedLog


class CannotWatch(click.ClickException):
    """The stack cannot be read at all: exit status 2, so that 1 keeps meaning "findings"."""

    exit_code = 2


def _logs(settings: Settings, stack: str | None, stand_in: str | None) -> list[WatchedLog]:
    """The real stack's logs (``--stack``, else the instance's ``stack/``), or the stand-in's
    (``--stand-in``, or the instance's ``devstack/`` when there is no real stack)."""
    from pathlib import Path

    from idp.monitor.stack_logs import MonitorSetupError, watched_logs, watched_stand_in
    from idp.stack.layout import Layout, StackConfigError

    real, dev = settings.instance_path / "stack", settings.instance_path / "devstack"
    if stand_in or (not stack and not (real / "stack.json").exists() and dev.is_dir()):
        folder = Path(stand_in) if stand_in else dev
        try:
            return watched_stand_in(folder)
        except (MonitorSetupError, OSError, KeyError, ValueError) as exc:
            raise CannotWatch(f"cannot watch the stand-in in {folder}: {exc}") from exc
    layout = Layout(Path(stack) if stack else real)
    try:
        return watched_logs(layout, layout.load())
    except (StackConfigError, MonitorSetupError, OSError) as exc:
        raise CannotWatch(f"cannot watch the stack in {layout.folder}: {exc}") from exc


def _pass(settings: Settings, stack: str | None, quiet: bool, stand_in: str | None = None) -> int:
    """One pass; prints each new finding and a summary line; returns how many findings were new."""
    from idp.monitor import notify
    from idp.monitor.runner import run_once
    from idp.platform.mail import MailError

    logs = _logs(settings, stack, stand_in)
    progress = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    report = run_once(logs, settings, timedelta(seconds=settings.monitor_clock_skew), progress)
    for finding in report.findings:
        click.echo(f"{finding.severity.upper()}: {finding.sentence}")
    try:
        mailed = notify.send_pending(settings)
    except MailError as exc:
        click.echo(f"hallmark: findings were not mailed: {exc}", err=True)
        mailed = 0
    read = ", ".join(f"{count} new {name} entries" for name, count in report.read.items()) or "no log read"
    click.echo(f"{read}; {len(report.findings)} new finding(s)" + (f", {mailed} mailed" if mailed else ""),
               err=True)
    return len(report.findings)


@click.group("monitor")
def command() -> None:
    """The identity monitor."""


STAND_IN_HELP = "The development stand-in's folder (default when there is no real stack: the instance's devstack/)."


@command.command("run")
@click.option("--stack", metavar="DIR", default=None, help="The stack's folder (default: the instance's stack/).")
@click.option("--stand-in", "stand_in", metavar="DIR", default=None, help=STAND_IN_HELP)
@click.option("--quiet", is_flag=True, help="Only the findings and the summary.")
def run(stack: str | None, stand_in: str | None, quiet: bool) -> None:
    """One pass over the CT log and Rekor: exit 0 = nothing new, 1 = findings, 2 = cannot read the stack."""
    with app_context(first_run=False) as app:
        found = _pass(app.extensions["hallmark"], stack, quiet, stand_in)
    sys.exit(1 if found else 0)


@command.command("findings")
@click.option("--all", "show_all", is_flag=True, help="Every finding, not only the last 50.")
def findings(show_all: bool) -> None:
    """The administrators' summary: findings, newest first, with their severity and whether they were mailed."""
    from idp.store.models import MonitorFinding

    with app_context(read_only=True):
        query = MonitorFinding.query.order_by(MonitorFinding.id.desc())
        rows = query.all() if show_all else query.limit(50).all()
        if not rows:
            click.echo("no findings")
        for row in rows:
            mailed = f"mailed {row.notified_at:%Y-%m-%d %H:%M}" if row.notified_at else "not mailed"
            click.echo(f"{row.found_at:%Y-%m-%d %H:%M:%S}  {row.severity:<8}  {row.kind}  ({mailed})\n  {row.sentence}")


@command.command("follow")
@click.option("--stack", metavar="DIR", default=None, help="The stack's folder (default: the instance's stack/).")
@click.option("--stand-in", "stand_in", metavar="DIR", default=None, help=STAND_IN_HELP)
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Seconds between passes.")
def follow(stack: str | None, stand_in: str | None, interval: float) -> None:
    """Keep watching; one progress line per pass. Ctrl-C stops."""
    with app_context(first_run=False) as app:
        try:
            while True:
                _pass(app.extensions["hallmark"], stack, quiet=True, stand_in=stand_in)
                time.sleep(interval)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
