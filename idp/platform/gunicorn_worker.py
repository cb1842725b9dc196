"""The worker ``hallmark serve`` runs: gunicorn's threaded worker, where a slow client gives up its
thread after :data:`CLIENT_READ_TIMEOUT` seconds of silence (finding F5).

gunicorn's sync workers read a request on the one thread they have, so two connections sending
their headers a byte at a time stalled the whole service. The threaded worker waits for a
connection's first bytes in its poller; this subclass also bounds each read after that, so a client
that stops in the middle of its headers or body loses the connection instead of holding a thread.
This is the one place Hallmark reaches into gunicorn's worker internals (``enqueue_req`` and the
connection's ``sock``); ``tests/security/test_f05_slow_clients.py`` pins it.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

CLIENT_READ_TIMEOUT = 10.0


class BoundedReadSocket(socket.socket):
    """A client socket whose blocking reads end after :data:`CLIENT_READ_TIMEOUT` of silence, as a
    connection reset (which gunicorn closes quietly) rather than a timeout (which it logs as a crash)."""

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(CLIENT_READ_TIMEOUT)
        else:
            super().setblocking(False)

    def recv(self, *args: Any, **kwargs: Any) -> bytes:
        try:
            return super().recv(*args, **kwargs)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client sent nothing for too long") from None

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        try:
            return super().recv_into(*args, **kwargs)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client sent nothing for too long") from None


class BoundedThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no type information
    """``gthread`` with :class:`BoundedReadSocket` client sockets (plain TCP; TLS ends at the proxy)."""

    def enqueue_req(self, conn: Any) -> None:
        if not self.cfg.is_ssl and not isinstance(conn.sock, BoundedReadSocket):
            raw = conn.sock
            conn.sock = BoundedReadSocket(raw.family, raw.type, raw.proto, fileno=raw.detach())
        super().enqueue_req(conn)
