"""Pins every private library interface Hallmark uses (idp/common/private_api.py): each test fails when
the library changes what Hallmark relies on, and says which library to look at."""

from __future__ import annotations

from flask import Flask, Request, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

from idp.common import private_api


def test_sigstore_still_has_its_fulcio_and_rekor_client_errors():
    fulcio, rekor = private_api.sigstore_service_errors()
    assert (fulcio.__name__, rekor.__name__) == ("FulcioClientError", "RekorClientError")
    from sigstore.errors import Error

    # Why the private names are needed: sigstore's public error type does not cover them. When it does,
    # hallmark sign can catch sigstore.errors.Error alone and this reach can go.
    assert not issubclass(fulcio, Error) and not issubclass(rekor, Error)


def test_flask_limiter_registers_the_request_check_that_hallmark_drops():
    app = Flask("pinned")
    limiter = Limiter(key_func=get_remote_address)
    limiter.init_app(app)
    hooks = app.before_request_funcs[None]
    assert limiter._check_request_limit in hooks, "Flask-Limiter changed how it checks app-wide limits"
    private_api.drop_limiter_request_check(app, limiter)
    assert limiter._check_request_limit not in app.before_request_funcs[None]


def test_the_request_proxy_still_hands_out_the_request_behind_it():
    app = Flask("pinned")
    with app.test_request_context("/x?y=1"):
        behind = private_api.request_behind(request)
        assert isinstance(behind, Request) and behind is not request and behind.args["y"] == "1"


def test_limits_memory_storage_keeps_its_three_tables():
    storage = MemoryStorage()
    storage.incr("key", 60)
    counters, expirations, locks = private_api.memory_storage_tables(storage)
    assert counters["key"] == 1 and "key" in expirations and "key" in locks
