"""Running the command-line tools under test: ``hallmark`` and the stock ``sigstore``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIGSTORE = str(Path(sys.executable).with_name("sigstore"))


def sigstore(*args: str, trust_config: Path) -> subprocess.CompletedProcess:
    """Run the stock sigstore CLI."""
    return subprocess.run([SIGSTORE, "--trust-config", str(trust_config), *args], capture_output=True, text=True,
                          timeout=120)


def admin_env(instance: Path, issuer: str = "http://localhost:8080", **settings: str) -> dict[str, str]:
    """An administrator's shell for ``instance``: this environment without inherited ``HALLMARK_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_")}
    env.update(HALLMARK_INSTANCE=str(instance), HALLMARK_ISSUER=issuer)
    env.update(settings)
    return env


def hallmark_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the ``hallmark`` command as a user would, in ``env`` (default: this environment), never with an
    ambient sigstore token."""
    environment = {k: v for k, v in (os.environ if env is None else env).items() if k != "SIGSTORE_IDENTITY_TOKEN"}
    return subprocess.run([sys.executable, "-m", "idp.cli", *args], capture_output=True, text=True, timeout=120,
                          env=environment)


def read_until(process: subprocess.Popen, marker: str = "Ctrl-C") -> str:
    """What a server command printed up to and including the line with ``marker`` (its "up" banner);
    fails with everything it printed if it stops before."""
    lines: list[str] = []
    while not lines or marker not in lines[-1]:
        line = process.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    return "".join(lines)
