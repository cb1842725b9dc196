"""docs/security-checklist.md 29-30, over HTTP: rate limits and body limits (31-32 are in tests/faults/)."""

from __future__ import annotations

import pytest
import requests

from hallmark_testing.helpers import post_json
from hallmark_testing.servers import LiveServer
from security.conftest import HttpClient


@pytest.fixture(scope="module")
def limited(tmp_path_factory, module_database_url):
    server = LiveServer(tmp_path_factory.mktemp("limited"), database_url=module_database_url,
                        ratelimit_login="3 per minute", ratelimit_token="3 per minute")
    yield server
    server.stop()


def test_29_login_and_token_rate_limits(limited):
    client = HttpClient(limited.url)
    statuses = [post_json(client, "/login/options").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    tokens = [requests.post(f"{limited.url}/token", data={"grant_type": "x"}).status_code for _ in range(4)]
    assert tokens[-1] == 429
    last = requests.post(f"{limited.url}/token", data={"grant_type": "x"})
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0


def test_30_oversized_bodies(server):
    for path in ("/token", "/login/verify", "/device/authorize"):
        response = requests.post(f"{server.url}{path}", data="x" * 70_000,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413, path


def test_30_malformed_webauthn_json(server):
    client = HttpClient(server.url)
    post_json(client, "/login/options")
    response = post_json(client, "/login/verify", {"credential": {"id": "!!", "rawId": "!!", "response": {}}})
    assert response.status_code == 400 and response.get_json()["error_description"]
