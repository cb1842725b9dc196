"""Authlib's view of a registered OAuth client: the adapter over the :class:`Client` row, the per-process
lookup, and client authentication ``none`` as sigstore-python sends it."""

from __future__ import annotations

from collections.abc import Callable

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.requests import OAuth2Request
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

from idp.oauth.client_records import redirect_allowed, secret_matches
from idp.platform import ttlcache
from idp.store.db import db
from idp.store.models import Client

SCOPES = ["openid", "email"]


class OAuthClient(ClientMixin):  # type: ignore[misc]  # Authlib ships no type information
    """Adapter from the :class:`Client` row to Authlib's client interface."""

    def __init__(self, row: Client):
        self.row = row

    @property
    def is_public(self) -> bool:
        return not self.row.secret_hash

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        if len(uris) == 1 and not self.row.loopback_redirect_paths and not self.row.allow_oob:
            return str(uris[0])
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = (scope or "").split()
        return " ".join(s for s in SCOPES if s in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_allowed(self.row, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == DEVICE_CODE_GRANT_TYPE:
            return self.is_public and self.row.allow_oob
        return grant_type == "authorization_code"


def _load_client(client_id: str) -> OAuthClient | None:
    row = Client.query.filter_by(client_id=client_id).first()
    if row is None:
        return None
    db.session.expunge(row)          # a read-only snapshot, shared by this process's requests
    return OAuthClient(row)


def query_client(client_id: str) -> OAuthClient | None:
    """The registered client, cached per process for a few seconds (Authlib asks several times)."""
    if not client_id:
        return None
    return ttlcache.cached("clients", client_id, lambda: _load_client(client_id), keep=lambda c: c is not None)


def authenticate_public_client(query: Callable[[str], OAuthClient | None],
                               request: OAuth2Request) -> OAuthClient | None:
    """Client auth ``none``: body ``client_id``, or HTTP Basic ``<id>:`` with an *empty* password."""
    basic_id, basic_secret = extract_basic_authorization(request.headers)
    body_id = request.form.get("client_id")
    if basic_id is not None:
        if basic_secret:
            return None
        if body_id and body_id != basic_id:
            return None
        client_id = basic_id
    else:
        if request.form.get("client_secret"):
            return None
        client_id = body_id
    client = query(client_id) if client_id else None
    if client is not None and client.is_public:
        return client
    return None
