"""Threads for slow clients, one request at a time in the app (finding F5, and SQLite's write lock).

gunicorn's threaded worker gives every connection a thread, so a slow client holds a thread and
never the worker. But Hallmark's requests are CPU-bound (the GIL runs one thread at a time anyway),
and sixteen threads writing to SQLite at once spend their time in its busy handler's sleeps: code
flows fell from ~370/s to ~250/s with a p99 over a second. So each worker's threads read requests
in parallel — the body too, up to the size limit, before the app sees it — and run the app
:data:`APP_SLOTS` at a time. A slow client then holds a reading thread, never an app slot.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from idp.platform.config import MAX_BODY

APP_SLOTS = 1

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class ReadThenRun:
    """WSGI middleware: read the whole (bounded) body first, then run ``app`` in one of ``slots``."""

    def __init__(self, app: WSGIApplication, slots: int = APP_SLOTS):
        self.app = app
        self.slots = threading.BoundedSemaphore(slots)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit() and 0 < int(length) <= MAX_BODY:
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        with self.slots:
            return self.app(environ, start_response)


def wrap_worker(worker: Any) -> None:
    """gunicorn ``post_worker_init`` hook: put :class:`ReadThenRun` around the worker's app."""
    worker.wsgi = ReadThenRun(worker.wsgi)
