"""The Authlib authorization server, wired: the grants, client auth ``none`` as sigstore-python sends
it (HTTP Basic ``<id>:`` with an empty password), and the JWT token generator (docs/design.md,
"The token endpoint")."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from flask import Flask
from flask import request as flask_request

from idp.common.private_api import request_behind
from idp.oauth import signing_keys
from idp.oauth.claims import AccessTokenGenerator, DeviceIdToken, OpenIDCodeExtension
from idp.oauth.client_adapter import SCOPES, authenticate_public_client, query_client
from idp.oauth.grants import CodeGrant, DeviceEndpoint, DeviceGrant, S256CodeChallenge
from idp.oauth.token_records import save_token
from idp.platform.config import Settings


class Server(AuthorizationServer):  # type: ignore[misc]  # Authlib ships no type information
    """Authlib's Flask authorization server, with its request wrapper built around the request object
    itself instead of Flask's proxy to it (a token request reads it ~40 times, each a context lookup)."""

    def create_oauth2_request(self, request: Any) -> FlaskOAuth2Request:
        return FlaskOAuth2Request(request_behind(flask_request))


def create_server(app: Flask, cfg: Settings) -> Server:
    """Build the authorization server for ``app``."""
    server = Server(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = SCOPES
    server.register_client_auth_method("none", authenticate_public_client)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), OpenIDCodeExtension(require_nonce=False)])
    server.register_grant(DeviceGrant, [DeviceIdToken()])
    server.register_endpoint(DeviceEndpoint)
    generator = AccessTokenGenerator(issuer=cfg.issuer, alg=signing_keys.ALG,
                                     expires_generator=lambda client, grant_type: cfg.token_lifetime)
    server.register_token_generator("default", generator)
    return server
