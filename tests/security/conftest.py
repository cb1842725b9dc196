"""The attack suite talks HTTP to a running Hallmark (werkzeug on localhost), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hallmark_testing.http import HttpClient
from hallmark_testing.servers import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_database_url):
    live = LiveServer(tmp_path_factory.mktemp("attack"), database_url=module_database_url)
    yield live
    live.stop()


@pytest.fixture
def client(server) -> HttpClient:
    return HttpClient(server.url)


@pytest.fixture
def app(server):
    return server.app
