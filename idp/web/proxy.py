"""The client's address and scheme behind a reverse proxy that this deployment trusts (finding F6).

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are anyone's to write, so they are read only from a
connection whose peer is one of ``HALLMARK_TRUSTED_PROXIES`` (addresses or networks). The client
is then the right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy: each proxy
appends the address it saw, so everything left of that could have been sent by the client.
Without the setting the headers are ignored and the socket's peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def _networks(proxies: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p, strict=False) for p in proxies]


class TrustedProxy:
    """WSGI middleware: ``REMOTE_ADDR`` and ``wsgi.url_scheme`` from a trusted proxy's headers."""

    def __init__(self, app: WSGIApplication, proxies: Iterable[str]):
        self.app = app
        self.networks = _networks(proxies)

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The client's address, given the socket's ``peer`` and the ``X-Forwarded-For`` header."""
        if not self.trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self.trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop.strip("[]")))
                except ValueError:
                    return peer          # garbage where an address should be: the proxy is the client
        return peer

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        if self.trusted(peer):
            environ["REMOTE_ADDR"] = self.client(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
