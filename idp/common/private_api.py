"""Every use Hallmark makes of a library's private interface, in one place, each with its reason.

``tests/test_private_api.py`` pins each one: it fails the day the library changes underneath, instead of
Hallmark failing in production. Each function imports its library when called, so that importing
this module costs nothing and drags no server library into the signing client, or the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Request
    from flask_limiter import Limiter


def sigstore_service_errors() -> tuple[type[Exception], ...]:
    """sigstore-python's Fulcio and Rekor client errors. The public ``Signer`` lets them escape when
    the CA or the log refuses; they are defined in ``sigstore._internal``, and ``hallmark sign`` must
    catch them to explain the refusal instead of printing a stack trace."""
    from sigstore._internal.fulcio.client import FulcioClientError
    from sigstore._internal.rekor import RekorClientError

    return FulcioClientError, RekorClientError


def drop_limiter_request_check(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter checks its default and application-wide limits in a before-request hook
    (``Limiter._check_request_limit``). Hallmark has neither — each limit is a route decorator, checked
    by the decorator — so the hook only costs time on every request, and is removed."""
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def request_behind(proxy: Any) -> Request:
    """The request object behind Flask's context-local ``request`` proxy (Werkzeug's
    ``LocalProxy._get_current_object``): Authlib's request wrapper reads the request ~40 times per token
    request, and each read through the proxy is a context lookup."""
    found: Request = proxy._get_current_object()
    return found


def memory_storage_tables(storage: Any) -> tuple[Any, Any, Any]:
    """The counters, expiry times and per-key locks of ``limits``' ``MemoryStorage``. Hallmark's
    in-process storage expires counters inline instead of in the timer thread ``MemoryStorage`` starts
    (``idp/store/ratelimit_storage.py``), which needs these three tables."""
    return storage.storage, storage.expirations, storage.locks
