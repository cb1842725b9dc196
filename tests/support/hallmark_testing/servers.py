"""Servers for tests: Hallmark and the devstack, each served by werkzeug in a thread on localhost."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from werkzeug.serving import make_server

from hallmark_testing.helpers import make_settings
from idp import create_app
from idp.devstack import create_devstack_app
from idp.devstack.fulcio_config import FulcioConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out on its own (bind to 0, outgoing connections)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def consecutive_free_ports(count: int = 8) -> int:
    """A base port with the next ``count - 1`` free as well (a stack takes eight from its base).

    A stack's ports are written by ``stack init`` and bound seconds later, one server after the
    other. Ports from the kernel's ephemeral range could be handed to any socket in between
    (another worker's ``free_port()``, an outgoing connection), so the block is chosen below that
    range, in a slice of its own for each pytest-xdist worker.
    """
    import os
    import random

    from idp.platform.instance_lock import port_free

    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    low, high = 10000, _ephemeral_low()
    width = (high - low) // workers
    first = low + worker * width
    for _ in range(1000):
        base = random.randrange(first, first + width - count)
        if all(port_free(base + i) for i in range(count)):
            return base
    raise AssertionError(f"no {count} consecutive free ports between {first} and {first + width}")


def wait_until_ok(url: str, process, failure: str, timeout: float = 30) -> None:
    """Poll ``url`` until it answers 2xx; fail with ``failure`` if ``process`` exits or time runs out."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, failure
        time.sleep(0.1)


class LiveServer:
    """Hallmark served by werkzeug in a thread on http://localhost:PORT."""

    def __init__(self, tmp_path, **overrides):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.app = create_app(make_settings(tmp_path, issuer=self.url, **overrides), create_schema=True)
        self.server = make_server("localhost", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


class Devstack:
    """The stack served by werkzeug in a thread; ``restart()`` keeps its folder."""

    def __init__(self, folder: Path, config: FulcioConfig, oidc_url: str):
        self.folder, self.config, self.oidc_url = folder, config, oidc_url
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.app = create_devstack_app(self.folder, self.config, self.url, self.oidc_url)
        self.trust_config = self.app.extensions["devstack"]["trust_config_path"]
        self.server = make_server("localhost", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        stack = self.app.extensions["devstack"]
        stack["log"].close()
        if stack["ca"].ct.mirror is not None:
            stack["ca"].ct.mirror.close()

    def restart(self) -> None:
        self.stop()
        self.start()


class TestIssuer:
    """A minimal OIDC issuer for the devstack tests: discovery + JWKS, and tokens with any claims."""

    __test__ = False                 # a helper, not a test class

    def __init__(self, advertised_issuer: str | None = None, algorithms: list[str] | None = ("ES256",)):
        from flask import Flask, jsonify
        from joserfc.jwk import ECKey, RSAKey

        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.ec_key = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "alg": "ES256"})
        self.rsa_key = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256"})
        app = Flask("test-issuer")
        discovery = {"issuer": advertised_issuer or self.url, "jwks_uri": f"{self.url}/jwks",
                     "authorization_endpoint": f"{self.url}/authorize", "token_endpoint": f"{self.url}/token"}
        if algorithms is not None:
            discovery["id_token_signing_alg_values_supported"] = list(algorithms)

        @app.get("/.well-known/openid-configuration")
        def config():
            return jsonify(discovery)

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.ec_key.as_dict(private=False), self.rsa_key.as_dict(private=False)]})

        self.server = make_server("localhost", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def claims(self, **overrides) -> dict:
        import time

        now = int(time.time())
        values = {"iss": self.url, "aud": "sigstore", "sub": "subject-1", "iat": now, "exp": now + 300}
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def token(self, alg: str = "ES256", header: dict | None = None, **claims) -> str:
        from joserfc import jwt

        key = self.ec_key if alg.startswith("ES") else self.rsa_key
        return jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, self.claims(**claims), key)

    def stop(self) -> None:
        self.server.shutdown()


class ServeProcess:
    """``hallmark serve`` (gunicorn) as a subprocess in its own process group; waits for /healthz."""

    def __init__(self, env: dict, port: int | None = None, workers: int | None = 2, log=None, output=None,
                 python: str | None = None, cwd: str | None = None):
        import subprocess
        import sys

        self.env, self.port, self.workers_count = env, port or free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [python or sys.executable, "-m", "idp.cli", "serve", "--port", str(self.port)]
        self._cwd = cwd
        if workers:                                    # None: Hallmark's recommended count
            self._command += ["--workers", str(workers)]
        self._log, self._output = log, output
        self._subprocess = subprocess
        self.start()

    def start(self) -> None:
        self.process = self._subprocess.Popen(self._command, env=self.env, cwd=self._cwd,
                                              stdout=self._output or self._subprocess.DEVNULL,
                                              stderr=self._log or self._subprocess.DEVNULL, start_new_session=True)
        wait_until_ok(f"{self.url}/healthz", self.process, "hallmark serve did not start")

    def worker_pids(self) -> list[int]:
        out = self._subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                                   text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill_everything(self) -> None:
        import os
        import signal

        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1 keeping its files in ``folder``; ``appendonly`` also logs
    every write to an append-only file, fsynced each second (like SQLite's WAL with synchronous=NORMAL)."""

    def __init__(self, folder: Path, appendonly: bool = False):
        import shutil
        import subprocess
        import time

        import redis

        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed: run 'make test' (it installs Debian's redis-server)")
        port = free_port()
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder),
             "--appendonly", "yes" if appendonly else "no", "--appendfsync", "everysec"],
            stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
