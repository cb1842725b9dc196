"""OIDC token verification the way Fulcio (go-oidc) does it.

Issuer looked up in the config; discovery fetched with a byte-exact ``issuer`` match;
signature checked against the issuer's JWKS with the algorithms it advertises (RS256 when it
advertises none; never ``none`` or HS*); ``aud`` must contain the ClientID; ``exp`` without
leeway; ``nbf`` with 5 minutes; then the rules of the issuer's Type.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError, MissingAlgorithmError
from joserfc.jwk import KeySet

from idp.devstack.fulcio_config import FulcioConfig, OIDCIssuer

NBF_LEEWAY = 300
ASYMMETRIC = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TokenRejected(ValueError):
    """The identity token is refused (HTTP 401 in Fulcio); the message says which check failed."""


@dataclass(frozen=True)
class Principal:
    """Who the certificate is for."""

    issuer: str
    subject: str            # the raw ``sub`` claim
    name: str               # what proof of possession signs: email or sub
    san_kind: str           # email | othername | uri
    san_value: str


def _unverified(raw: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The token's header and claims, decoded by joserfc before anything is verified (to find the issuer)."""
    if raw.count(".") != 2:
        raise TokenRejected("identity token is not a JWT (expected three dot-separated parts)")
    try:
        compact = jws.extract_compact(raw.encode())
        header, claims = compact.headers(), json.loads(compact.payload)
    except MissingAlgorithmError:
        raise TokenRejected("token signed with alg None; its header names no algorithm") from None
    except (JoseError, ValueError) as exc:
        raise TokenRejected("identity token is not a JWT (undecodable part)") from exc
    if not isinstance(claims, dict):
        raise TokenRejected("identity token is not a JWT")
    return dict(header), claims


class _Provider:
    def __init__(self, discovery: dict[str, Any], keys: KeySet):
        self.discovery, self.keys = discovery, keys


class TokenVerifier:
    """Verifies tokens for the issuers in a Fulcio config; caches discovery and JWKS per issuer."""

    def __init__(self, config: FulcioConfig, timeout: float = 10.0):
        self.config, self.timeout = config, timeout
        self._providers: dict[str, _Provider] = {}
        self._lock = threading.Lock()

    def _fetch_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise TokenRejected(f"could not fetch the issuer's {what} from {url}: {exc}") from exc
        if not isinstance(data, dict):
            raise TokenRejected(f"the issuer's {what} at {url} is not a JSON object")
        return data

    def _provider(self, issuer: OIDCIssuer, refresh: bool = False) -> _Provider:
        with self._lock:
            cached = self._providers.get(issuer.issuer_url)
        if cached is not None and not refresh:
            return cached
        url = issuer.issuer_url.rstrip("/") + "/.well-known/openid-configuration"
        discovery = self._fetch_json(url, "discovery document")
        if discovery.get("issuer") != issuer.issuer_url:
            raise TokenRejected(f"issuer did not match the issuer returned by provider, expected "
                                f"{issuer.issuer_url!r} got {discovery.get('issuer')!r}")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise TokenRejected("the issuer's discovery document has no jwks_uri")
        try:
            keys = KeySet.import_key_set(self._fetch_json(jwks_uri, "JWKS"))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise TokenRejected(f"the issuer's JWKS is unusable: {exc}") from exc
        provider = _Provider(discovery, keys)
        with self._lock:
            self._providers[issuer.issuer_url] = provider
        return provider

    def verify(self, raw: str, now: float | None = None) -> Principal:
        """Verify ``raw`` and work out the certificate's principal."""
        now = time.time() if now is None else now
        header, unverified = _unverified(raw)
        iss = unverified.get("iss")
        issuer = self.config.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise TokenRejected(f"unknown issuer {iss!r}: it is not in this CA's OIDCIssuers configuration")
        provider = self._provider(issuer)
        algorithms = provider.discovery.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in algorithms if a in ASYMMETRIC]
        if header.get("alg") not in algorithms:
            raise TokenRejected(f"token signed with alg {header.get('alg')!r}; expected one of {algorithms}")
        kid = header.get("kid")
        if kid is not None and not any(k.kid == kid for k in provider.keys.keys):
            provider = self._provider(issuer, refresh=True)
        try:
            token = jwt.decode(raw, provider.keys, algorithms=algorithms)
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenRejected(f"failed to verify signature: {exc.__class__.__name__}") from exc
        claims = token.claims
        if claims.get("iss") != issuer.issuer_url:
            raise TokenRejected(f"token iss {claims.get('iss')!r} does not match {issuer.issuer_url!r}")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if issuer.client_id not in audiences:
            raise TokenRejected(f"expected audience {issuer.client_id!r} got {aud!r}")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            raise TokenRejected("token has no exp claim")
        if now > exp:
            raise TokenRejected(f"token is expired (expiry {int(exp)})")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and now + NBF_LEEWAY < nbf:
            raise TokenRejected(f"token is not valid yet (nbf {int(nbf)})")
        return principal_for(issuer, claims)


def principal_for(issuer: OIDCIssuer, claims: dict[str, Any]) -> Principal:
    """Apply the issuer Type's rules (Fulcio pkg/identity) to verified claims."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenRejected("token has no sub claim")
    if issuer.type == "email":
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            raise TokenRejected("token has no email claim")
        if claims.get("email_verified") is not True:
            raise TokenRejected("email_verified claim was false")
        return Principal(issuer.issuer_url, sub, email, "email", email)
    if issuer.type == "username":
        if "!" in sub:
            raise TokenRejected("username cannot contain ! character")
        if EMAIL_RE.match(sub):
            raise TokenRejected("username cannot be an email address")
        return Principal(issuer.issuer_url, sub, sub, "othername", f"{sub}!{issuer.subject_domain}")
    subject, allowed = urlsplit(sub), urlsplit(issuer.subject_domain)
    if subject.scheme != allowed.scheme:
        raise TokenRejected(f"subject URI scheme {subject.scheme!r} does not match {allowed.scheme!r}")
    if subject.hostname != allowed.hostname:
        raise TokenRejected(f"subject URI host {subject.hostname!r} does not match {allowed.hostname!r}")
    return Principal(issuer.issuer_url, sub, sub, "uri", sub)
