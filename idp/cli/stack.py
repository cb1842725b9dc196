"""``hallmark stack``: the real Fulcio, TesseraCT, Rekor v2 and timestamp authority for this Hallmark."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from idp.platform.config import Settings

if TYPE_CHECKING:
    from idp.stack.layout import Layout, StackConfig

HINT_BUILD = "(the binaries come from 'make sigstore-bins')"


def _layout(settings: Settings) -> Layout:
    from idp.stack.layout import Layout

    return Layout(settings.instance_path / "stack")


def _loaded(settings: Settings) -> tuple[Layout, StackConfig]:
    """The stack's layout and configuration; refused when it was made for another issuer (its Fulcio
    would trust that one, and refuse every token of this one)."""
    from idp.stack.layout import StackConfigError

    layout = _layout(settings)
    try:
        config = layout.load()
    except StackConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if config.issuer != settings.issuer:
        raise click.ClickException(f"the stack in {layout.folder} was made for the issuer {config.issuer}, but "
                                   f"HALLMARK_ISSUER is {settings.issuer}; set it back, or move the folder away "
                                   "and run 'hallmark stack init' again")
    return layout, config


@click.group("stack")
def command() -> None:
    """A complete private Sigstore: the real Fulcio, CT log, Rekor v2 and TSA."""


@command.command("init")
@click.option("--base-port", type=int, default=None,
              help="Use eight consecutive ports from this one (default: each server's usual port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the servers bind to.")
@click.option("--public-host", default="localhost", show_default=True,
              help="Host name in the URLs signers and verifiers use.")
@click.option("--organization", default="Hallmark", show_default=True, help="Named in the CA and TSA certificates.")
@click.option("--ca-custody", type=click.Choice(["file", "pkcs11"]), default="file", show_default=True,
              help="file: Fulcio's CA key encrypted on disk; pkcs11: made inside Hallmark's PKCS#11 token "
                   "(HALLMARK_PKCS11_*), never leaving it.")
@click.option("--public-url", "public_urls", multiple=True, metavar="SERVICE=URL",
              help="Behind a TLS proxy: the public URL of fulcio, tesseract, rekor or tsa (repeatable).")
def init(base_port: int | None, host: str, public_host: str, organization: str, ca_custody: str,
         public_urls: tuple[str, ...]) -> None:
    """Create the CA, the log and TSA keys, the trusted root and signing config; publish them over TUF."""
    from idp.people.identity import IdentityConfigError
    from idp.stack.create import init as create
    from idp.stack.layout import Ports, StackConfig, StackConfigError
    from idp.tufrepo import publish_trust_config

    settings = Settings.from_env()
    layout = _layout(settings)
    ports = Ports.from_base(base_port) if base_port else Ports()
    pairs = [entry.partition("=") for entry in public_urls]
    if any(not sep for _, sep, _ in pairs):
        raise click.ClickException("--public-url takes SERVICE=URL, e.g. rekor=https://rekor.example.org")
    config = StackConfig(issuer=settings.issuer, host=host, public_host=public_host, ports=ports,
                         organization=organization, public_urls={k: v.rstrip("/") for k, _, v in pairs},
                         ca_custody=ca_custody)
    try:
        made = create(settings, layout, config)
    except (StackConfigError, IdentityConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sigstore stack for {settings.issuer} created in {layout.folder}:")
    for line in made:
        click.echo(f"  {line}")
    targets = {"trusted_root.json": layout.trusted_root.read_bytes(),
               "signing_config.v0.2.json": layout.signing_config.read_bytes()}
    root = publish_trust_config(settings.instance_path, targets)
    click.echo(f"Published over TUF at {settings.issuer}/tuf; its root for 'hallmark trust': {root}")
    if not settings.key_passphrase:
        click.echo(f"The CA and TSA keys are encrypted with a random passphrase kept in {layout.passphrase}. "
                   "In production set HALLMARK_KEY_PASSPHRASE before 'init' and keep it elsewhere.", err=True)
    click.echo("Next: hallmark stack up")


@command.command("up")
@click.option("--monitor", "monitor_every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Also run the identity monitor ('hallmark monitor follow') every SECONDS.")
def up(monitor_every: float | None) -> None:
    """Start the four servers, wait until each answers, and stop them all on Ctrl-C."""
    import subprocess
    import sys

    import requests

    from idp.stack.create import passphrase
    from idp.stack.layout import StackConfigError
    from idp.stack.services import services
    from idp.stack.supervisor import StartFailed, Supervisor

    settings = Settings.from_env()
    layout, config = _loaded(settings)
    try:
        secret = passphrase(settings, layout)
    except StackConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    discovery = f"{config.issuer}/.well-known/openid-configuration"
    try:
        requests.get(discovery, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise click.ClickException(f"Hallmark does not answer at {discovery} ({exc.__class__.__name__}); Fulcio "
                                   "reads its keys at start-up: start Hallmark first ('hallmark serve')") from exc
    try:
        planned = services(layout, config, secret)
    except StackConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    supervisor = Supervisor()

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    monitor: subprocess.Popen[bytes] | None = None
    try:
        supervisor.start_all(planned, lambda service, seconds: click.echo(
            f"  up  {service.title} at {service.public_url} ({seconds:.1f} s; log {service.log})"))
        if monitor_every is not None:
            log = layout.log("monitor")
            with log.open("ab") as handle:
                monitor = subprocess.Popen([sys.executable, "-m", "idp.cli", "monitor", "follow", "--interval",
                                            str(monitor_every)], stdout=handle, stderr=subprocess.STDOUT)
            click.echo(f"  up  the identity monitor, every {monitor_every:g} s (log {log})")
        click.echo(f"""
The Sigstore stack for {config.issuer} is up. Sign and verify with:
  hallmark sign --trust-config {layout.trust_config} FILE
  hallmark verify --trust-config {layout.trust_config} --identity IDENTITY --issuer {config.issuer} FILE
or, after 'hallmark trust {config.issuer} {settings.instance_path / 'tuf' / 'root.json'}', with --idp {config.issuer}.
Press Ctrl-C to stop.""")
        while not supervisor.exited():
            time.sleep(0.5)
        stopped = ", ".join(f"{service.title} (log {service.log})" for service in supervisor.exited())
        raise click.ClickException(f"a server stopped unexpectedly: {stopped}")
    except StartFailed as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("\nstopping …")
    finally:
        if monitor is not None:
            monitor.terminate()
            monitor.wait(timeout=20)
        supervisor.stop()
    click.echo("stopped")


@command.command("status")
def status() -> None:
    """Say which servers answer and what falls due (certificates, TUF metadata)."""
    from idp.stack.services import ready_urls
    from idp.stack.status import report

    settings = Settings.from_env()
    layout, config = _loaded(settings)
    for line in report(layout, config, Path(settings.instance_path), ready_urls(config)):
        click.echo(line)


@command.command("run")
@click.argument("name", type=click.Choice(["fulcio", "tesseract", "rekor", "tsa"]))
def run(name: str) -> None:
    """Run one server in the foreground, as a systemd unit does (its flags are the ones 'up' gives)."""
    import os

    from idp.stack.create import passphrase
    from idp.stack.layout import StackConfigError
    from idp.stack.services import services

    settings = Settings.from_env()
    layout, config = _loaded(settings)
    try:
        service = next(s for s in services(layout, config, passphrase(settings, layout)) if s.name == name)
    except StackConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    os.execve(service.argv[0], service.argv, {**os.environ, **service.env})


@command.command("systemd")
@click.option("--output", type=click.Path(path_type=Path), required=True, help="Folder to write the units into.")
@click.option("--user", default=None, help="The system user the servers run as (default: the unit's default).")
@click.option("--environment-file", type=click.Path(path_type=Path), default=Path("/etc/hallmark/stack.env"),
              show_default=True, help="Where the units read HALLMARK_KEY_PASSPHRASE from.")
def systemd(output: Path, user: str | None, environment_file: Path) -> None:
    """Write one systemd unit per server, running 'hallmark stack run NAME' with this configuration."""
    import sys

    from idp.stack.systemd import units

    settings = Settings.from_env()
    layout, config = _loaded(settings)
    output.mkdir(parents=True, exist_ok=True)
    hallmark = Path(sys.executable).parent / "hallmark"
    for filename, text in units(layout, instance=Path(settings.instance_path).resolve(), issuer=config.issuer,
                                hallmark=hallmark, environment_file=environment_file, user=user).items():
        (output / filename).write_text(text)
        click.echo(f"wrote {output / filename}")
    click.echo(f"Install: copy them to /etc/systemd/system/, put HALLMARK_KEY_PASSPHRASE in {environment_file} "
               "(mode 0600), then 'systemctl daemon-reload && systemctl enable --now hallmark-stack-fulcio' "
               "(it pulls in the CT log) and the rekor and tsa units.")
