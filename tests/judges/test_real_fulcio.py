"""The real Fulcio (pinned in tools/sigstore.versions, built by `make sigstore-bins`) judges Hallmark's tokens.

Fulcio runs on loopback with an ephemeral CA and no CT log: what is judged here is the token —
discovery, JWKS, issuer, audience, expiry and the identity claim — by the CA itself, not by our
stand-in. A missing binary fails the run with what to build; it never skips.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from joserfc.jwk import ECKey

from hallmark_testing.helpers import enroll, sigstore_token
from hallmark_testing.servers import LiveServer, consecutive_free_ports, wait_until_ok
from idp.people.identity import fulcio_config
from judges.requests_to_judges import ask_for_certificate, signed_like_hallmark

ROOT = Path(__file__).resolve().parents[2]
FULCIO = ROOT / ".sigstore-bin" / "fulcio"


@pytest.fixture(scope="module")
def hallmark(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("judged-idp"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fulcio(hallmark, tmp_path_factory):
    if not FULCIO.exists():
        pytest.fail(f"{FULCIO} is missing: run 'make sigstore-bins' (builds the pinned Fulcio with go install)")
    folder = tmp_path_factory.mktemp("fulcio")
    config = folder / "config.json"
    config.write_text(fulcio_config(hallmark.app.extensions["hallmark"]))
    port = consecutive_free_ports(3)
    grpc_port, metrics_port = port + 1, port + 2
    log = (folder / "fulcio.log").open("w")
    process = subprocess.Popen([str(FULCIO), "serve", "--ca", "ephemeralca", "--ct-log-url", "", "--config-path",
                                str(config), "--host", "127.0.0.1", "--port", str(port), "--grpc-host", "127.0.0.1",
                                "--grpc-port", str(grpc_port), "--metrics-port", str(metrics_port),
                                "--legacy-unix-domain-socket", f"@hallmark-judged-fulcio-{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{url}/api/v2/configuration", process, "the real Fulcio did not start")
    except AssertionError:
        raise AssertionError((folder / "fulcio.log").read_text()) from None
    yield url, folder / "fulcio.log"
    process.terminate()
    process.wait(timeout=20)
    log.close()


def hallmark_token(hallmark, username: str) -> str:
    client = hallmark.app.test_client()
    response, _ = sigstore_token(client, enroll(client, hallmark.app, username))
    return response.get_json()["access_token"]


def test_real_fulcio_issues_a_certificate_for_a_hallmark_token(hallmark, fulcio):
    reply = ask_for_certificate(fulcio[0], hallmark_token(hallmark, "judged"))
    assert reply.status_code in (200, 201), reply.text
    answer = reply.json()
    chain = (answer.get("signedCertificateDetachedSct") or answer.get("signedCertificateEmbeddedSct"))["chain"]
    cert = x509.load_pem_x509_certificate(chain["certificates"][0].encode())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [f"{hallmark.url}/u/judged"]


# The real Fulcio answers every refused token with one generic sentence and logs the reason; our
# stand-in (idp/devstack) answers with the reason itself. Both are checked: the answer, and the log.
GENERIC = "There was an error processing the identity token"


def refused(fulcio, token: str, reason: str) -> None:
    url, log = fulcio
    reply = ask_for_certificate(url, token)
    assert reply.status_code == 400 and reply.json()["message"] == GENERIC, reply.text
    deadline = time.monotonic() + 5
    while reason not in log.read_text():
        assert time.monotonic() < deadline, f"Fulcio's log does not say {reason!r}"
        time.sleep(0.1)


@pytest.mark.parametrize("change,reason", [
    ({"aud": "not-sigstore"}, 'expected audience "sigstore" got ["not-sigstore"]'),
    ({"exp": 1_000_000, "iat": 999_000}, "token is expired"),
    ({"iss": "http://localhost:1"}, "failed to match issuer URL http://localhost:1"),
])
def test_real_fulcio_refuses_a_changed_token(hallmark, fulcio, change, reason):
    refused(fulcio, signed_like_hallmark(hallmark, **change), reason)


def test_real_fulcio_refuses_a_key_not_in_hallmarks_jwks(hallmark, fulcio):
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-in-jwks"})
    refused(fulcio, signed_like_hallmark(hallmark, key=stranger), "failed to verify signature")
