"""Servers for tests: Hallmark and the devstack, each served by werkzeug in a thread on localhost."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from werkzeug.serving import make_server

from helpers import make_settings
from idp import create_app
from idp.devstack import create_devstack_app
from idp.devstack.fulcio_config import FulcioConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        self.app.extensions["devstack"]["log"].close()

    def restart(self) -> None:
        self.stop()
        self.start()
