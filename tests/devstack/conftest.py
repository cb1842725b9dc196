"""A live Hallmark and a live devstack (once per module), and the stock sigstore CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import enroll, sigstore_token
from idp.devstack.fulcio_config import FulcioConfig
from idp.identity import fulcio_config
from servers import Devstack, LiveServer

SIGSTORE = str(Path(sys.executable).with_name("sigstore"))


@pytest.fixture(scope="module")
def hallmark(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("idp"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(hallmark, tmp_path_factory):
    config = FulcioConfig.parse(fulcio_config(hallmark.app.extensions["hallmark"]))
    devstack = Devstack(tmp_path_factory.mktemp("stack"), config, hallmark.url)
    yield devstack
    devstack.stop()


@pytest.fixture(scope="module")
def token_for(hallmark):
    """``token_for(username)``: a fresh Hallmark access token for a newly enrolled user."""
    def make(username: str) -> str:
        client = hallmark.app.test_client()
        response, _ = sigstore_token(client, enroll(client, hallmark.app, username))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]
    return make


def sigstore(*args: str, trust_config: Path) -> subprocess.CompletedProcess:
    """Run the stock sigstore CLI."""
    return subprocess.run([SIGSTORE, "--trust-config", str(trust_config), *args], capture_output=True, text=True,
                          timeout=120)
