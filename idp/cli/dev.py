"""``hallmark dev``: the identity provider and the local Sigstore stack together, for a first try."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import requests

from idp.cli.context import app_context
from idp.people import invites
from idp.people.invites import enrollment_link
from idp.platform.config import Settings, environment
from idp.stack.supervisor import StartFailed, Supervisor
from idp.store.models import User

if TYPE_CHECKING:
    from idp.stack.layout import Layout
    from idp.stack.services import Service


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"a server exited during start-up; see {log}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise click.ClickException(f"{url} did not come up within {timeout:.0f} s; see {log}")


def _invitation() -> tuple[str, bool]:
    with app_context() as app:
        first = User.query.filter_by(is_admin=True).first() is None
        token = invites.create(admin=first, lifetime=app.extensions["hallmark"].invite_lifetime, actor="hallmark-dev")
        return enrollment_link(app.extensions["hallmark"].issuer, token), first


def _publish_trust(settings: Settings, trust: Path) -> Path:
    """Create (first run) or republish the TUF repository for the devstack's trust root; export root.json."""
    from idp.cli.tuf import targets_from_trust_config
    from idp.tufrepo import publish_trust_config

    return publish_trust_config(settings.instance_path, targets_from_trust_config(trust, settings))


def _refuse(message: str) -> NoReturn:
    """One line on stderr and exit code 2: nothing was started or changed."""
    click.echo(f"hallmark dev: {message}", err=True)
    sys.exit(2)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def _which_stack(choice: str) -> str:
    """``real`` when asked, or (``auto``) when the pinned binaries are built; else the stand-in."""
    if choice != "auto":
        return choice
    from idp.stack.services import missing_binaries

    return "stand-in" if missing_binaries() else "real"


def _real_stack(settings: Settings, stack_port: int) -> tuple[Layout, list[Service]]:
    """The stack's files (created on the first run, ports from ``stack_port``), and its servers."""
    from idp.stack.create import init, passphrase
    from idp.stack.layout import Layout, Ports, StackConfig, StackConfigError
    from idp.stack.services import services

    layout = Layout(settings.instance_path / "stack")
    if not layout.config.exists():
        init(settings, layout, StackConfig(issuer=settings.issuer, ports=Ports.from_base(stack_port)))
    config = layout.load()
    if config.issuer != settings.issuer or config.ports.fulcio != stack_port:
        _refuse(f"the stack in {layout.folder} was made for {config.issuer} on ports from {config.ports.fulcio}; "
                f"run with --port/--stack-port matching it, or move that folder away")
    try:
        return layout, services(layout, config, passphrase(settings, layout))
    except StackConfigError as exc:
        _refuse(str(exc))


@click.command("dev")
@click.option("--port", default=8080, show_default=True, type=int, help="Port of the identity provider.")
@click.option("--stack-port", default=8081, show_default=True, type=int,
              help="Port of the local Sigstore stack (the real one uses eight ports from here).")
@click.option("--stack", "stack_choice", type=click.Choice(["auto", "real", "stand-in"]), default="auto",
              show_default=True, envvar="HALLMARK_DEV_STACK",
              help="real: Fulcio, TesseraCT, Rekor v2 and a TSA (make sigstore-bins); stand-in: the Python "
                   "development stack; auto: real when its binaries are built.")
def command(port: int, stack_port: int, stack_choice: str) -> None:
    """Run Hallmark and the development Sigstore stack; print an invitation and what to try next."""
    from idp.platform.instance_lock import InstanceBusy, hold, port_free

    if environment("HALLMARK_ISSUER") is None:
        os.environ["HALLMARK_ISSUER"] = f"http://localhost:{port}"
    settings = Settings.from_env()
    try:
        hold(settings.instance_path, f"hallmark dev --port {port} --stack-port {stack_port}")
    except InstanceBusy as exc:
        _refuse(str(exc))
    for name, number in (("--port", port), ("--stack-port", stack_port)):
        if not port_free(number):
            _refuse(f"port {number} ({name}) is already in use by another program; choose another, "
                    f"e.g. make run PORT={port + 10} STACK_PORT={stack_port + 10}.")
    which = _which_stack(stack_choice)
    if which == "real":
        layout, real_services = _real_stack(settings, stack_port)
        trust = layout.trust_config
    else:
        trust = settings.instance_path / "devstack" / "trust_config.json"
    link, admin = _invitation()
    logs = settings.instance_path / "logs"
    logs.mkdir(exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    supervisor = Supervisor()
    stopping = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    servers = [("idp", ["serve", "--port", str(port), "--workers", "2", "--no-invite"],
                f"http://127.0.0.1:{port}/.well-known/openid-configuration")]
    if which == "stand-in":
        servers.append(("devstack", ["devstack", "--port", str(stack_port)], f"http://127.0.0.1:{stack_port}/api/v1/log"))
    try:
        for name, args, ready in servers:
            log = logs / f"{name}.log"
            with log.open("w") as handle:
                children.append(subprocess.Popen([sys.executable, "-m", "idp.cli", *args], stdout=handle,
                                                 stderr=subprocess.STDOUT, env=os.environ.copy()))
            click.echo(f"starting {name} (log: {log}) …")
            _wait_until_up(ready, children[-1], log)
        if which == "real":
            click.echo("starting the real Sigstore stack (Fulcio, TesseraCT, Rekor v2, timestamp authority) …")
            try:
                supervisor.start_all(real_services, lambda service, seconds: click.echo(
                    f"  up  {service.title} at {service.public_url} (log {service.log})"))
            except StartFailed as exc:
                raise click.ClickException(str(exc)) from exc
            stack_line = (f"the real Sigstore stack (Fulcio CA, TesseraCT, Rekor v2, timestamp authority; keys in "
                          f"{layout.folder}) from http://localhost:{stack_port}")
        else:
            stack_line = (f"the development Sigstore stand-in (not a CA; 'make sigstore-bins' builds the real one) "
                          f"at http://localhost:{stack_port}")
        root = _publish_trust(settings, trust)
        who = "the first administrator" if admin else "another person"
        bin_dir = Path(sys.executable).parent
        verify = (f"{bin_dir}/hallmark verify --trust-config {trust} --identity {settings.subject_domain}/u/USERNAME "
                  f"--issuer {settings.issuer} FILE")
        click.echo(f"""
Hallmark is up at {settings.issuer}; {stack_line}.

1. Enroll {who} — open this one-time link (24 hours) in a browser with your security key:
   {link}
2. Sign:   {bin_dir}/hallmark sign --trust-config {trust} FILE
3. Verify: {verify}

Trust can also come over TUF, as it would from a community: run once
   {bin_dir}/hallmark trust {settings.issuer} {root}
then use --idp {settings.issuer} instead of --trust-config (stock sigstore: --instance {settings.issuer}/tuf).

Press Ctrl-C to stop both.""", nl=True)
        while all(child.poll() is None for child in children) and not supervisor.exited():
            time.sleep(0.5)
        if not stopping:
            raise click.ClickException("a server stopped unexpectedly; see the logs in " + str(logs))
    except KeyboardInterrupt:
        click.echo("\nstopping …")
    finally:
        supervisor.stop()
        _stop(children)
    click.echo("stopped")
