"""The real Sigstore stack (``hallmark stack``'s own code) on loopback ports, for the judges.

A missing binary or a server that does not start fails the run with what to build; nothing skips.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hallmark_testing.helpers import enroll, make_settings, sigstore_token
from hallmark_testing.servers import LiveServer, consecutive_free_ports
from idp.stack.create import init, passphrase
from idp.stack.layout import Layout, Ports, StackConfig, StackConfigError
from idp.stack.services import missing_binaries, services
from idp.stack.supervisor import StartFailed, Supervisor


@dataclass
class RealStack:
    hallmark: LiveServer
    layout: Layout
    config: StackConfig
    supervisor: Supervisor
    secret: str

    @property
    def trust_config(self) -> Path:
        return self.layout.trust_config

    def start(self) -> None:
        try:
            self.supervisor.start_all(services(self.layout, self.config, self.secret), lambda *_: None)
        except (StartFailed, StackConfigError) as exc:
            self.supervisor.stop()
            pytest.fail(f"the real Sigstore stack did not start: {exc}")

    def restart(self) -> None:
        self.supervisor.stop()
        self.start()

    people: dict = field(default_factory=dict)
    held: ExitStack = field(default_factory=ExitStack)

    def close(self) -> None:
        """Stop the servers and Hallmark, and let the next stack on this machine start."""
        self.supervisor.stop()
        self.hallmark.stop()
        self.held.close()

    def token(self, username: str) -> str:
        """A Hallmark signing token for ``username`` (enrolled on first use), from the code flow."""
        if username not in self.people:
            client = self.hallmark.app.test_client()
            self.people[username] = (client, enroll(client, self.hallmark.app, username))
        client, authenticator = self.people[username]
        response, _ = sigstore_token(client, authenticator)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def identity(self, username: str) -> str:
        return f"{self.hallmark.url}/u/{username}"


def start_real_stack(folder: Path, extra_issuers: dict | None = None, ca_custody: str = "file",
                     **overrides) -> RealStack:
    """Hallmark on a LiveServer, then ``hallmark stack init``'s files and the four servers. Fulcio also
    trusts ``extra_issuers`` (Fulcio ``OIDCIssuers`` entries, e.g. test issuers of other types)."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"the real Sigstore servers are not built ({', '.join(missing)}): run 'make sigstore-bins'")
    held = ExitStack()
    held.enter_context(one_tsa_per_machine())
    hallmark = LiveServer(folder / "idp", **overrides)
    settings = make_settings(folder / "idp", issuer=hallmark.url, **overrides)
    layout = Layout(folder / "stack")
    ports = Ports.from_base(consecutive_free_ports())
    init(settings, layout, StackConfig(issuer=hallmark.url, ports=ports, ca_custody=ca_custody))
    if extra_issuers:
        config = json.loads(layout.fulcio_config.read_text())
        config["OIDCIssuers"].update(extra_issuers)
        layout.fulcio_config.write_text(json.dumps(config, indent=2))
    stack = RealStack(hallmark, layout, layout.load(), Supervisor(), passphrase(settings, layout), held=held)
    try:
        stack.start()
    except BaseException:
        stack.close()
        raise
    return stack


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory):
    """A stack shared by a module's tests, with one entry in each log already: a bundle for the first
    entry of a log is a case of its own (tests/judges/test_cosign_first_entry.py)."""
    folder = tmp_path_factory.mktemp("real-stack")
    stack = start_real_stack(folder)
    first = folder / "first-entry.txt"
    first.write_text("the first entry of both logs\n")
    from hallmark_testing.commands import hallmark_cli

    done = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                        stack.token("first-signer"), str(first))
    assert done.returncode == 0, done.stderr
    yield stack
    stack.close()


COSIGN = Path(__file__).resolve().parents[2] / ".sigstore-bin" / "cosign"


@pytest.fixture
def own_stack(tmp_path):
    """A fresh stack of one test's own (to stop, restart, or see its first entry)."""
    stack = start_real_stack(tmp_path / "stack")
    yield stack
    stack.close()


def cosign(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The pinned cosign, with a HOME and TUF cache of its own (it never reaches the public good instance)."""
    if not COSIGN.exists():
        pytest.fail(f"{COSIGN} is missing: run 'make sigstore-bins'")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE", "COSIGN"))}
    env.update(HOME=str(home), TUF_ROOT=str(home / "tuf"))
    return subprocess.run([str(COSIGN), *args], check=False, capture_output=True, text=True, timeout=120, env=env)


def token_file(folder: Path, token: str) -> Path:
    """cosign takes --identity-token as a raw token only when it is RS256-signed (it tries to parse
    it as such); Hallmark's ES256 token must be handed to it as a file."""
    path = folder / "token.jwt"
    path.write_text(token)
    path.chmod(0o600)
    return path


@contextmanager
def one_tsa_per_machine(timeout: float = 900):
    """Held while a stack runs: timestamp-server binds metrics to port 2112 on every interface with
    no flag to move it, so two stacks cannot run on one machine at once. Test processes (xdist
    workers) take turns through this lock file instead."""
    path = Path(tempfile.gettempdir()) / "hallmark-judges-port-2112.lock"
    with path.open("w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test process held {path} for {timeout:.0f} s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

