"""docs/security-checklist.md 32: kill -9 of a worker and of the whole server under a bounded load loses nothing
acknowledged, and no code or challenge can be used twice afterwards."""

from __future__ import annotations

import os
import secrets
import signal
import threading

import requests

from hallmark_testing.helpers import (
    SIGSTORE_BASIC,
    authorize_params,
    authorize_url,
    make_settings,
    pkce_pair,
    post_json,
)
from hallmark_testing.http import HttpClient
from hallmark_testing.servers import ServeProcess, free_port
from hallmark_testing.softauthn import SoftAuthenticator
from idp import create_app
from idp.people import invites
from idp.store.models import AuditEvent, User

ITERATIONS = 40


def one_signing_flow(base: str, app, auth_origin: str, record: dict) -> None:
    """Enroll, log in through /authorize, redeem: record each step only once the server acknowledged it."""
    client = HttpClient(base)
    name = f"k{secrets.token_hex(5)}"
    token = _invite(app)
    auth = SoftAuthenticator(origin=auth_origin)
    options = post_json(client, f"/enroll/{token}/options", {"username": name}).get_json()
    if post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)}).status_code != 200:
        return
    record["enrolled"].append(name)
    verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(code_challenge=challenge, code_challenge_method="S256"))
    client.get(url)
    login_options = post_json(client, "/login/options").get_json()
    answer = auth.get(login_options)
    if post_json(client, "/login/verify", {"credential": answer}).status_code != 200:
        return
    record["assertions"].append((base, answer))
    location = client.get(url).headers.get("Location", "")
    code = dict(p.split("=", 1) for p in location.split("?", 1)[-1].split("&") if "=" in p).get("code")
    if not code:
        return
    redeemed = requests.post(f"{base}/token", headers=SIGSTORE_BASIC, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": "http://localhost:12345/auth/callback"})
    if redeemed.status_code == 200:
        record["codes"].append((code, verifier))


_invite_lock = threading.Lock()


def _invite(app) -> str:
    with _invite_lock, app.app_context():
        return invites.create(admin=False, lifetime=3600)


def test_kill_9_loses_nothing_acknowledged(tmp_path, database_url):
    port = free_port()
    issuer = f"http://localhost:{port}"
    settings = make_settings(tmp_path, issuer=issuer, database_url=database_url)
    app = create_app(settings, create_schema=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_")}
    env.update(HALLMARK_INSTANCE=str(settings.instance_path), HALLMARK_ISSUER=issuer,
               HALLMARK_RATELIMIT_LOGIN="10000 per minute", HALLMARK_RATELIMIT_TOKEN="10000 per minute")
    if database_url:
        env["HALLMARK_DATABASE_URL"] = database_url
    server = ServeProcess(env, port)
    base = server.url
    record = {"enrolled": [], "assertions": [], "codes": []}
    try:
        for i in range(ITERATIONS):
            if i == ITERATIONS // 3:
                os.kill(server.worker_pids()[0], signal.SIGKILL)           # one worker dies mid-load
            if i == 2 * ITERATIONS // 3:
                server.kill_everything()                               # the whole server dies
                server.start()
            try:
                one_signing_flow(base, app, issuer, record)
            except requests.ConnectionError:
                continue                                               # not acknowledged: nothing promised
        with app.app_context():
            users = {u.username: u for u in User.query.all()}
            for name in record["enrolled"]:
                assert name in users and users[name].active_credentials, name
                assert AuditEvent.query.filter_by(user_id=users[name].id, event="user.enrolled").count() == 1
        assert len(record["enrolled"]) >= ITERATIONS - 4, record["enrolled"]
        for code, verifier in record["codes"]:
            again = requests.post(f"{base}/token", headers=SIGSTORE_BASIC, timeout=10, data={
                "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                "redirect_uri": "http://localhost:12345/auth/callback"})
            assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        for _, answer in record["assertions"][-5:]:
            replay = HttpClient(base)
            post_json(replay, "/login/options")
            assert post_json(replay, "/login/verify", {"credential": answer}).status_code == 400
    finally:
        server.kill_everything()
