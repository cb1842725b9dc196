"""Hallmark + devstack + a TUF repository, a static mirror that can serve altered copies, isolated clients."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask, abort, jsonify, send_from_directory
from werkzeug.serving import make_server

from hallmark_testing.helpers import enroll, sigstore_token
from hallmark_testing.servers import Devstack, LiveServer, free_port
from idp.cli.tuf import targets_from_trust_config
from idp.devstack.fulcio_config import FulcioConfig
from idp.people.identity import fulcio_config
from idp.tufrepo import repository_for


class Mirror:
    """Serves a copy of a TUF repository (which the test may alter) plus a Hallmark-style discovery."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        app = Flask("mirror")

        self.discovery = None      # a test may set another answer (any Flask response value)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            if self.discovery is not None:
                return self.discovery
            return jsonify({"issuer": self.url, "hallmark_tuf_url": f"{self.url}/tuf"})

        @app.get("/tuf/<path:name>")
        def files(name):
            if not (self.folder / name).is_file():
                abort(404)
            return send_from_directory(self.folder, name, max_age=0)

        self.server = make_server("localhost", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, source: Path) -> None:
        """Serve a fresh copy of ``source``."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
        shutil.copytree(source, self.folder)

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory, module_database_url):
    """Hallmark (with a TUF repository over the devstack's trust root) and the devstack."""
    base = tmp_path_factory.mktemp("tufworld")
    idp = LiveServer(base / "idp", database_url=module_database_url)
    stack = Devstack(base / "stack", FulcioConfig.parse(fulcio_config(idp.app.extensions["hallmark"])), idp.url)
    settings = idp.app.extensions["hallmark"]
    repository = repository_for(settings.instance_path)
    repository.init(targets_from_trust_config(stack.trust_config, settings), root_keys=3, threshold=2)
    yield idp, stack, repository
    stack.stop()
    idp.stop()


@pytest.fixture
def client_env(tmp_path) -> dict:
    """A fresh client machine: its own data and cache folders (sigstore's and hallmark's TUF state)."""
    env = {k: v for k, v in os.environ.items() if k != "SIGSTORE_IDENTITY_TOKEN"}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env


@pytest.fixture
def mirror(tmp_path):
    served = Mirror(tmp_path / "mirror")
    yield served
    served.stop()


@pytest.fixture
def root_v1(world, tmp_path) -> Path:
    _, _, repository = world
    path = tmp_path / "root.json"
    path.write_bytes((repository.folder / "1.root.json").read_bytes())
    return path


def token(idp, username: str) -> str:
    client = idp.app.test_client()
    response, _ = sigstore_token(client, enroll(client, idp.app, username))
    return response.get_json()["access_token"]


def metadata_version(path: Path) -> int:
    return json.loads(path.read_text())["signed"]["version"]
