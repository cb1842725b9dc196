"""OAuth client records: the preregistered ``sigstore`` client, registration, redirect-URI rules."""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from idp.people import audit
from idp.platform import ttlcache
from idp.platform.secretfiles import sha256_hex
from idp.platform.words import _l
from idp.store.db import db
from idp.store.models import Client

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
SIGSTORE_CLIENT_ID = "sigstore"
LOOPBACK_RE = re.compile(r"http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)")
CLIENT_ID_RE = re.compile(r"[A-Za-z0-9._-]{3,64}")


class ClientRecordError(ValueError):
    """A client registration is invalid."""




def find(client_id: str) -> Client | None:
    """The registered client ``client_id``."""
    client: Client | None = Client.query.filter_by(client_id=client_id).first()
    return client


def secret_matches(client: Client, secret: str | None) -> bool:
    """Constant-time check; an empty stored or presented secret never matches."""
    if not client.secret_hash or not secret:
        return False
    # client secrets are 256 random bits, so a plain SHA-256 is enough to store them
    return hmac.compare_digest(client.secret_hash, sha256_hex(secret))


def loopback_redirect_allowed(client: Client, uri: str) -> bool:
    """RFC 8252 §7.3: any port on a loopback host, for a registered path, plain http, nothing else."""
    match = LOOPBACK_RE.fullmatch(uri)
    if not match:
        return False
    port = match.group(2)
    if port and not 0 < int(port[1:]) < 65536:
        return False
    return match.group(3) in client.loopback_redirect_paths


def redirect_allowed(client: Client, uri: str) -> bool:
    """Exact match against registered URIs, the loopback rule, or the OOB URI if allowed."""
    if uri == OOB_REDIRECT_URI:
        return client.allow_oob
    if uri in client.redirect_uris:
        return True
    return loopback_redirect_allowed(client, uri)


def ensure_sigstore_client(fresh_touch: bool) -> Client:
    """Create or update the preregistered public ``sigstore`` client."""
    client = Client.query.filter_by(client_id=SIGSTORE_CLIENT_ID).first()
    if client is None:
        client = Client(client_id=SIGSTORE_CLIENT_ID, name="Sigstore signing", secret_hash=None,
                        redirect_uris=[], loopback_redirect_paths=["/auth/callback"], allow_oob=True)
        db.session.add(client)
    if client.require_fresh_touch != fresh_touch:
        client.require_fresh_touch = fresh_touch
    db.session.commit()
    ttlcache.forget("clients")
    return client


def validate_redirect_uri(uri: str) -> None:
    """Registered redirect URIs must be absolute https (or loopback http), without fragment."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ClientRecordError(_l("redirect URI %(uri)r must not contain a fragment", uri=uri))
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and LOOPBACK_RE.fullmatch(uri):
        return
    raise ClientRecordError(_l("redirect URI %(uri)r must be https:// (or http:// on a loopback host)", uri=uri))


def register(client_id: str, name: str, redirect_uris: list[str], *, confidential: bool,
             fresh_touch: bool = False, actor: str | None = None) -> tuple[Client, str | None]:
    """Register a client (audited as ``actor``'s, in the same transaction); returns it and, for a
    confidential client, its secret (shown once)."""
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise ClientRecordError(_l("client id must be 3-64 characters of letters, digits, '.', '_' or '-'"))
    if Client.query.filter_by(client_id=client_id).first():
        raise ClientRecordError(_l("client %(client)r already exists", client=client_id))
    if not redirect_uris:
        raise ClientRecordError(_l("at least one redirect URI is required"))
    for uri in redirect_uris:
        validate_redirect_uri(uri)
    secret = secrets.token_urlsafe(32) if confidential else None
    client = Client(client_id=client_id, name=name, redirect_uris=list(redirect_uris),
                    loopback_redirect_paths=[], allow_oob=False, require_fresh_touch=fresh_touch,
                    secret_hash=sha256_hex(secret) if secret else None)
    db.session.add(client)
    if actor is not None:
        audit.record("client.added", actor=actor, client=client_id, public=not confidential)
    db.session.commit()
    ttlcache.forget("clients")
    return client, secret


def rotate_secret(client_id: str, *, actor: str) -> str:
    """Give confidential client ``client_id`` a new secret (returned, to be shown once; only its hash is
    kept). The old secret stops working at once. Audited."""
    client = find(client_id)
    if client is None:
        raise ClientRecordError(_l("no client %(client)r", client=client_id))
    if not client.secret_hash:
        raise ClientRecordError(_l("%(client)r is a public client: it has no secret (it proves itself with PKCE)",
                                   client=client_id))
    secret = secrets.token_urlsafe(32)
    client.secret_hash = sha256_hex(secret)
    audit.record("client.secret_rotated", actor=actor, client=client_id)
    db.session.commit()
    ttlcache.forget("clients")
    return secret


def remove(client_id: str, *, actor: str) -> None:
    """Remove a registered client (audited); the ``sigstore`` client that signing needs cannot be removed."""
    if client_id == SIGSTORE_CLIENT_ID:
        raise ClientRecordError(_l("the sigstore client is what signing uses; it cannot be removed"))
    client = find(client_id)
    if client is None:
        raise ClientRecordError(_l("no client %(client)r", client=client_id))
    db.session.delete(client)
    audit.record("client.removed", actor=actor, client=client_id)
    db.session.commit()
    ttlcache.forget("clients")
