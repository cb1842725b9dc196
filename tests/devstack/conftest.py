"""A live Hallmark, test OIDC issuers and a live devstack, once per module."""

from __future__ import annotations

import json

import pytest

from hallmark_testing.helpers import enroll, sigstore_token
from hallmark_testing.servers import Devstack, LiveServer, TestIssuer
from idp.devstack.fulcio_config import FulcioConfig
from idp.people.identity import fulcio_config


@pytest.fixture(scope="module")
def hallmark(tmp_path_factory, module_database_url):
    server = LiveServer(tmp_path_factory.mktemp("idp"), device_poll_interval=1, database_url=module_database_url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def issuers():
    """Test issuers of each Fulcio Type, plus two misbehaving ones."""
    made = {"email": TestIssuer(), "username": TestIssuer(), "mismatch": TestIssuer(advertised_issuer="http://other"),
            "rs256_default": TestIssuer(algorithms=None)}
    yield made
    for issuer in made.values():
        issuer.stop()


def stack_config(hallmark, issuers) -> FulcioConfig:
    """Hallmark's own ``hallmark fulcio-config`` entry plus the test issuers."""
    config = json.loads(fulcio_config(hallmark.app.extensions["hallmark"]))
    kinds = {"email": ("email", ""), "username": ("username", "localhost"), "mismatch": ("email", ""),
             "rs256_default": ("email", "")}
    for name, issuer in issuers.items():
        kind, domain = kinds[name]
        config["OIDCIssuers"][issuer.url] = {"IssuerURL": issuer.url, "ClientID": "sigstore", "Type": kind,
                                             "SubjectDomain": domain}
    return FulcioConfig.parse(json.dumps(config))


@pytest.fixture(scope="module")
def stack(hallmark, issuers, tmp_path_factory):
    devstack = Devstack(tmp_path_factory.mktemp("stack"), stack_config(hallmark, issuers), hallmark.url)
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
