"""A real HTTP server on localhost, once per module (the browser fixtures live in tests/conftest.py)."""

from __future__ import annotations

import pytest

from hallmark_testing.servers import LiveServer


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, module_database_url):
    server = LiveServer(tmp_path_factory.mktemp("live"), database_url=module_database_url)
    yield server
    server.stop()
