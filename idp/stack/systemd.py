"""systemd units for the stack, from the same configuration ``hallmark stack up`` uses: each unit runs
``hallmark stack run NAME``, which starts the server with exactly the flags ``up`` would give it."""

from __future__ import annotations

import shlex
from pathlib import Path

from idp.stack.layout import SERVICES, Layout
from idp.stack.services import TITLE

UNIT = """\
[Unit]
Description=Hallmark's Sigstore stack: {title}
After=network-online.target {after}
Wants=network-online.target {after}

[Service]
Type=simple
Environment=HALLMARK_INSTANCE={instance}
Environment=HALLMARK_ISSUER={issuer}
# HALLMARK_KEY_PASSPHRASE (the CA and TSA key passphrase) belongs in this file, mode 0600:
EnvironmentFile=-{environment_file}
ExecStart={hallmark} stack run {name}
Restart=on-failure
RestartSec=2
{user}NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={folder}

[Install]
WantedBy=multi-user.target
"""


def unit_name(service: str) -> str:
    return f"hallmark-stack-{service}.service"


def units(layout: Layout, *, instance: Path, issuer: str, hallmark: Path, environment_file: Path,
          user: str | None) -> dict[str, str]:
    """File name → unit text, one per server. Fulcio starts after the CT log it submits to."""
    made = {}
    for name in SERVICES:
        after = unit_name("tesseract") if name == "fulcio" else ""
        made[unit_name(name)] = UNIT.format(
            title=TITLE[name], folder=layout.folder, after=after, instance=shlex.quote(str(instance)),
            issuer=issuer, environment_file=environment_file, hallmark=shlex.quote(str(hallmark)), name=name,
            user=f"User={user}\n" if user else "")
    return made
