"""Two gunicorn instances on one PostgreSQL: no per-process state, atomic writes across instances."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.helpers import AUTHORIZE_REQUEST_RE, CSRF_RE, pkce_pair
from hallmark_testing.servers import RedisServer, ServeProcess
from hallmark_testing.softauthn import SoftAuthenticator

ISSUER = "http://localhost:9000"          # the load balancer's URL; both instances are configured with it


class Instance(ServeProcess):
    """An instance with its own folder, sharing the database and secrets; ``cli`` runs commands against it."""

    def __init__(self, env: dict, folder):
        super().__init__({**env, "HALLMARK_INSTANCE": str(folder)}, log=open(f"{folder}.log", "w"))  # noqa: SIM115 (the server writes to it until it stops)

    def cli(self, *args: str) -> str:
        result = hallmark_cli(*args, env=self.env)
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="module")
def pair(postgres, tmp_path_factory):
    base = tmp_path_factory.mktemp("scaleout")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_")}
    env.update(HALLMARK_DATABASE_URL=postgres.database(), HALLMARK_ISSUER=ISSUER,
               HALLMARK_SECRET_KEY=secrets.token_urlsafe(48), HALLMARK_KEY_PASSPHRASE=secrets.token_urlsafe(24),
               HALLMARK_RATELIMIT_LOGIN="1000 per minute", HALLMARK_RATELIMIT_TOKEN="1000 per minute")
    assert hallmark_cli("db", "upgrade", env={**env, "HALLMARK_INSTANCE": str(base / "a")}).returncode == 0
    a, b = Instance(env, base / "a"), Instance(env, base / "b")
    a.cli("client", "add", "web", "--public", "--redirect-uri", "https://app.example/cb")
    yield a, b
    a.stop()
    b.stop()


class Browser:
    """A requests session posing as one browser; cookies work for both instances (same host)."""

    def __init__(self):
        self.http = requests.Session()

    def csrf(self, instance) -> str:
        return CSRF_RE.search(self.http.get(f"{instance.url}/login").text).group(1)

    def post_json(self, instance, path, body):
        return self.http.post(f"{instance.url}{path}", json=body, headers={"X-CSRFToken": self.csrf(instance)})

    def login(self, options_on, verify_on, auth, authorize_request=None):
        options = self.post_json(options_on, "/login/options", {}).json()
        return self.post_json(verify_on, "/login/verify", {"credential": auth.get(options),
                                                           "authorize_request": authorize_request})


def enroll(browser, instance, username) -> SoftAuthenticator:
    link = instance.cli("invite", "create").strip().splitlines()[-1]
    token = link.rsplit("/", 1)[1]
    auth = SoftAuthenticator(origin=ISSUER, rp_id="localhost")
    options = browser.post_json(instance, f"/enroll/{token}/options", {"username": username}).json()
    answer = browser.post_json(instance, f"/enroll/{token}/verify", {"credential": auth.create(options)})
    assert answer.status_code == 200, answer.text
    return auth


CALLBACK = "http://localhost:5555/auth/callback"


def signing_code(browser, authorize_on, verify_on, auth) -> tuple[str, str]:
    """A sigstore authorization through ``authorize_on`` with the key touch checked by ``verify_on``."""
    verifier, challenge = pkce_pair()
    url = (f"{authorize_on.url}/authorize?response_type=code&client_id=sigstore&scope=openid&state=s"
           f"&redirect_uri={CALLBACK}&code_challenge={challenge}&code_challenge_method=S256")
    page = browser.http.get(url).text
    assert 'id="login"' in page                                       # a fresh touch is asked for
    request_id = AUTHORIZE_REQUEST_RE.search(page).group(1)
    assert browser.login(authorize_on, verify_on, auth, request_id).status_code == 200
    final = browser.http.get(url, allow_redirects=False)
    assert final.status_code == 302, final.text
    return parse_qs(urlsplit(final.headers["Location"]).query)["code"][0], verifier


def redeem(instance, code: str, verifier: str) -> requests.Response:
    return requests.post(f"{instance.url}/token", auth=("sigstore", ""), data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": CALLBACK})


def test_enroll_on_one_authorize_and_redeem_on_the_other(pair):
    a, b = pair
    browser = Browser()
    auth = enroll(browser, a, "scaler")
    code, verifier = signing_code(browser, b, a, auth)     # B asks for the touch and issues the code, A checks it
    token = redeem(a, code, verifier)
    assert token.status_code == 200, token.text
    userinfo = requests.get(f"{b.url}/userinfo", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert userinfo.json()["sub"] == f"{ISSUER}/u/scaler"


def test_session_from_one_instance_is_honoured_by_the_other(pair):
    a, b = pair
    browser = Browser()
    enroll(browser, a, "sessioned")
    verifier, challenge = pkce_pair()
    response = browser.http.get(f"{b.url}/authorize?response_type=code&client_id=web&scope=openid&state=x"
                                f"&redirect_uri=https://app.example/cb&code_challenge={challenge}"
                                "&code_challenge_method=S256", allow_redirects=False)
    assert response.status_code == 302 and "code=" in response.headers["Location"]
    assert browser.http.get(f"{b.url}/account").status_code == 200


def test_rotation_on_one_is_seen_by_the_other(pair):
    a, b = pair
    before = {k["kid"] for k in requests.get(f"{b.url}/.well-known/jwks.json").json()["keys"]}
    out = a.cli("keys", "rotate")
    new_active = re.search(r"now signing with (\S+);", out).group(1)
    deadline = time.monotonic() + 10             # B serves JWKS from memory, refreshed every few seconds
    while True:
        after = {k["kid"] for k in requests.get(f"{b.url}/.well-known/jwks.json").json()["keys"]}
        if after - before or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert new_active in before and after - before, (before, after)
    browser = Browser()
    auth = enroll(browser, b, "rotated")
    token = redeem(b, *signing_code(browser, b, b, auth)).json()["access_token"]
    from joserfc import jwt
    from joserfc.jwk import KeySet

    jwks_a = KeySet.import_key_set(requests.get(f"{a.url}/.well-known/jwks.json").json())
    # B may keep signing with the old key for its few-second cache; either way A's JWKS verifies it
    assert jwt.decode(token, jwks_a).header["kid"] in after


def test_parallel_redemption_across_instances_has_one_winner(pair):
    a, b = pair
    browser = Browser()
    auth = enroll(browser, a, "racer")
    code, verifier = signing_code(browser, a, a, auth)
    barrier = threading.Barrier(8)

    def race(i):
        barrier.wait()
        return redeem((a, b)[i % 2], code, verifier).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(race, range(8)))
    assert statuses.count(200) == 1, statuses


def test_parallel_logins_with_a_cloned_counter_have_one_winner(pair):
    """Two assertions carrying the same counter (a cloned key) race on both instances: one wins."""
    a, b = pair
    owner = Browser()
    auth = enroll(owner, a, "cloned")
    auth.sign_count = 5
    browsers = [Browser(), Browser()]
    answers = []
    for browser, instance in zip(browsers, (a, b), strict=True):
        options = browser.post_json(instance, "/login/options", {}).json()
        answers.append(auth.get(options, counter=6))
    barrier = threading.Barrier(2)

    def verify(i):
        barrier.wait()
        return browsers[i].post_json((a, b)[i], "/login/verify", {"credential": answers[i]}).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(verify, range(2)))
    assert statuses == [200, 400], statuses


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server.url
    server.stop()


def test_rate_limits_are_shared_through_redis(postgres, redis_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_")}
    env.update(HALLMARK_DATABASE_URL=postgres.database(), HALLMARK_ISSUER=ISSUER, HALLMARK_REDIS_URL=redis_url,
               HALLMARK_SECRET_KEY=secrets.token_urlsafe(48), HALLMARK_KEY_PASSPHRASE=secrets.token_urlsafe(32),
               HALLMARK_RATELIMIT_TOKEN="4 per minute")
    subprocess.run([sys.executable, "-m", "idp.cli", "db", "upgrade"], check=True, capture_output=True,
                   env={**env, "HALLMARK_INSTANCE": str(tmp_path / "a")})
    a, b = Instance(env, tmp_path / "a"), Instance(env, tmp_path / "b")
    try:
        statuses = [requests.post(f"{(a, b)[i % 2].url}/token", data={"grant_type": "x"}).status_code
                    for i in range(6)]
    finally:
        a.stop()
        b.stop()
    assert statuses[:4] == [400] * 4 and statuses[4:] == [429, 429], statuses
