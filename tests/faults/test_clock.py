"""Clock faults: tokens at their last valid second and just after, and key rotation in the middle of a load."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from hallmark_testing.helpers import enroll, sigstore_token
from hallmark_testing.http import HttpClient
from hallmark_testing.servers import LiveServer
from idp.oauth import signing_keys as keys
from idp.platform import clock


@pytest.mark.parametrize("offset,accepted", [(-1, True), (0, False), (1, False)])
def test_access_token_at_the_edge_of_expiry(app, client, monkeypatch, offset, accepted):
    response, _ = sigstore_token(client, enroll(client, app, "edge"))
    access = response.get_json()["access_token"]
    from joserfc import jwt
    from joserfc.jwk import KeySet

    exp = jwt.decode(access, KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())).claims["exp"]
    moment = datetime.fromtimestamp(exp + offset, UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    status = client.get("/userinfo", headers={"Authorization": f"Bearer {access}"}).status_code
    assert (status == 200) is accepted


def test_rotation_during_a_load_refuses_no_valid_request(tmp_path, database_url):
    server = LiveServer(tmp_path, database_url=database_url)
    settings = server.app.extensions["hallmark"]
    failures, done = [], threading.Event()
    rotations = []

    def rotate_repeatedly():
        while not done.is_set() and len(rotations) < 3:
            with server.app.app_context():
                rotations.append(keys.rotate(settings).kid)
            done.wait(0.3)

    def flow(i):
        client = HttpClient(server.url)
        response, _ = sigstore_token(client, enroll(client, server.app, f"r{i}{secrets.token_hex(3)}"))
        if response.status_code != 200:
            failures.append(("token", response.status_code))
            return
        info = client.get("/userinfo", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"})
        if info.status_code != 200:
            failures.append(("userinfo", info.status_code))

    rotator = threading.Thread(target=rotate_repeatedly)
    rotator.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(flow, range(24)))
    finally:
        done.set()
        rotator.join()
        server.stop()
    assert rotations and not failures, failures
