"""The same scenarios against the real stack and the stand-in (``hallmark devstack``): stock
sigstore-python signs and verifies in the ``uri``, ``email`` and ``username`` modes, with one Fulcio
configuration holding all three issuer types, and both stacks refuse the same tokens."""

from __future__ import annotations

import json

import pytest

from hallmark_testing.commands import hallmark_cli, sigstore
from hallmark_testing.helpers import unique_name
from hallmark_testing.servers import Devstack, TestIssuer
from idp.devstack.fulcio_config import FulcioConfig
from judges.conftest import start_real_stack
from judges.requests_to_judges import ask_for_certificate


@pytest.fixture(scope="module")
def issuers():
    made = {"email": TestIssuer(), "username": TestIssuer()}
    yield made
    for issuer in made.values():
        issuer.stop()


def entries(issuers) -> dict:
    return {issuers["email"].url: {"IssuerURL": issuers["email"].url, "ClientID": "sigstore", "Type": "email"},
            issuers["username"].url: {"IssuerURL": issuers["username"].url, "ClientID": "sigstore",
                                      "Type": "username", "SubjectDomain": "localhost"}}


class StandIn:
    """The stand-in with the same Fulcio configuration as the real stack of the same test."""

    def __init__(self, real, issuers, folder):
        config = json.loads(real.layout.fulcio_config.read_text())
        self.devstack = Devstack(folder, FulcioConfig.parse(json.dumps(config)), real.hallmark.url)
        self.trust_config, self.hallmark, self.token, self.identity = (
            self.devstack.trust_config, real.hallmark, real.token, real.identity)


@pytest.fixture(scope="module")
def real(issuers, tmp_path_factory):
    stack = start_real_stack(tmp_path_factory.mktemp("modes-real"), extra_issuers=entries(issuers))
    yield stack
    stack.close()


@pytest.fixture(scope="module")
def stand_in(real, issuers, tmp_path_factory):
    made = StandIn(real, issuers, tmp_path_factory.mktemp("modes-stand-in"))
    yield made
    made.devstack.stop()


@pytest.fixture(params=["real", "stand-in"])
def stack(request):
    return request.getfixturevalue(request.param.replace("-", "_"))


def sign(stack, token: str, artifact):
    return sigstore("sign", "--identity-token", token, "--overwrite", str(artifact), trust_config=stack.trust_config)


def verify(stack, artifact, identity: str, issuer: str):
    return sigstore("verify", "identity", "--cert-identity", identity, "--cert-oidc-issuer", issuer, str(artifact),
                    trust_config=stack.trust_config)


def test_uri_mode_hallmark_token(stack, tmp_path):
    artifact = tmp_path / "release.tar.gz"
    artifact.write_bytes(b"hallmark release 1.0\n")
    username = unique_name("uri")
    signed = sign(stack, stack.token(username), artifact)
    assert signed.returncode == 0, signed.stderr
    assert verify(stack, artifact, stack.identity(username), stack.hallmark.url).returncode == 0
    assert verify(stack, artifact, stack.identity("someone-else"), stack.hallmark.url).returncode != 0


def test_email_mode(stack, issuers, tmp_path):
    issuer, artifact = issuers["email"], tmp_path / "mail.txt"
    artifact.write_text("signed by mail\n")
    signed = sign(stack, issuer.token(email="ada@example.org", email_verified=True), artifact)
    assert signed.returncode == 0, signed.stderr
    assert verify(stack, artifact, "ada@example.org", issuer.url).returncode == 0
    assert verify(stack, artifact, "eve@example.org", issuer.url).returncode != 0


def test_username_mode(stack, issuers, tmp_path):
    """Stock sigstore 4.5.1 matches an OtherName SAN only by its DER-prefixed form (docs/design.md, "The Fulcio contract")."""
    issuer, artifact = issuers["username"], tmp_path / "user.txt"
    artifact.write_text("signed by username\n")
    signed = sign(stack, issuer.token(sub="alice"), artifact)
    assert signed.returncode == 0, signed.stderr
    identity = "alice!localhost"
    assert verify(stack, artifact, "\x0c" + chr(len(identity)) + identity, issuer.url).returncode == 0


@pytest.mark.parametrize("claims", [{"email_verified": False}, {"email_verified": None}, {"email": None}])
def test_an_unverified_or_missing_email_is_refused_by_both(stack, issuers, tmp_path, claims):
    artifact = tmp_path / "x.txt"
    artifact.write_text("x")
    signed = sign(stack, issuers["email"].token(**{"email": "ada@example.org", "email_verified": True, **claims}),
                  artifact)
    assert signed.returncode != 0
    print(signed.stderr[-600:])


def refused_tokens(issuers, hallmark_url: str) -> dict[str, str]:
    email = issuers["email"]
    stranger = TestIssuer()
    stranger.stop()
    return {
        "email_verified false": email.token(email="a@example.org", email_verified=False),
        "no email claim": email.token(),
        "wrong audience": email.token(email="a@example.org", email_verified=True, aud="other"),
        "expired": email.token(email="a@example.org", email_verified=True, exp=1000, iat=900),
        "unknown issuer": stranger.token(email="a@example.org", email_verified=True),
        "issuer claim of Hallmark, key of another": email.token(iss=hallmark_url, sub=f"{hallmark_url}/u/x"),
    }


def test_the_stand_in_refuses_every_token_the_real_fulcio_refuses_and_the_same_way(real, stand_in, issuers):
    for case, token in refused_tokens(issuers, real.hallmark.url).items():
        judged = ask_for_certificate(real.config.url("fulcio"), token)
        imitated = ask_for_certificate(stand_in.devstack.url, token)
        assert judged.status_code == imitated.status_code == 400, (case, judged.text, imitated.text)
        assert judged.json()["message"] == imitated.json()["message"], case
        assert judged.json()["code"] == imitated.json()["code"] == 3, case
        assert imitated.json()["details"], f"{case}: the stand-in gives its reason"


def test_hallmark_sign_surfaces_the_refusal_of_an_unverified_email(stack, issuers, tmp_path):
    """On the real stack the answer is Fulcio's one sentence; the stand-in adds its reason."""
    artifact = tmp_path / "x.txt"
    artifact.write_text("x")
    token = issuers["email"].token(email="ada@example.org", email_verified=False)
    done = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token, str(artifact))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "answered HTTP 400: There was an error processing the identity token" in done.stderr, done.stderr
    if isinstance(stack, StandIn):
        assert "email_verified claim was false" in done.stderr
    assert not artifact.with_name("x.txt.sigstore.json").exists()
