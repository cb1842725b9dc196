"""Hallmark: an OpenID Connect provider for keyless code signing, security keys only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from idp.platform.config import MAX_BODY, ConfigError, Settings, environment
from idp.platform.secretfiles import read_or_create

if TYPE_CHECKING:
    from flask import Flask

PACKAGE = Path(__file__).resolve().parent


def _data_root() -> Path:
    """Where ``templates/`` and ``migrations/`` are: ``HALLMARK_HOME`` if set, else inside the installed
    package (a wheel carries them there), else the top of the source checkout."""
    home = environment("HALLMARK_HOME")
    if home:
        return Path(home)
    return PACKAGE if (PACKAGE / "templates").is_dir() else PACKAGE.parent


ROOT = _data_root()


def _instance_secret(instance: Path, name: str) -> str:
    """Read a secret from the instance folder, creating it (mode 0600) on first run."""
    path = instance / name
    value = read_or_create(path)
    if len(value) < 32:
        raise ConfigError(f"{path} holds a secret that is too short; delete it to have a new one generated")
    return value


def _private_sqlite_file(database_url: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (it would follow the umask)."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        path = Path(database_url[len(prefix):])
        if path.parent.is_dir():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)


def _cookie_name(issuer: str) -> str:
    """``__Host-hallmark_session`` on https. On http (development on localhost) the issuer's port is
    in the name: cookies are per host, not per port, and two local instances would otherwise sign
    each other out."""
    from urllib.parse import urlsplit

    if issuer.startswith("https://"):
        return "__Host-hallmark_session"
    port = urlsplit(issuer).port
    return f"hallmark_session_{port}" if port else "hallmark_session"


def _session_secret(instance: Path) -> str:
    """``HALLMARK_SECRET_KEY`` if it is strong enough (refused otherwise), else the instance's own."""
    given = environment("HALLMARK_SECRET_KEY")
    if given is not None:
        from idp.platform.config import require_strong

        return require_strong("HALLMARK_SECRET_KEY", given)
    return _instance_secret(instance, "secret-key")


def _check_metadata(settings: Settings) -> None:
    """A configured FIDO metadata BLOB must verify before the server starts (a stale one only warns:
    sign-ins go on, new keys are refused until it is replaced)."""
    from idp.ceremony.attestation import metadata_file
    from idp.ceremony.metadata import MetadataError
    from idp.platform import clock

    source = metadata_file(settings)
    if source is None:
        return
    try:
        source.current(clock.now())
    except MetadataError as exc:
        raise ConfigError(str(exc)) from exc


def create_app(settings: Settings | None = None, *, create_schema: bool = False) -> Flask:
    """The app factory. ``settings`` default to the ``HALLMARK_*`` environment."""
    from flask import Flask

    from idp.store import ratelimit_storage

    settings = settings or Settings.from_env()
    settings.instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private_sqlite_file(settings.database_url)
    app = Flask(__name__, instance_path=str(settings.instance_path),
                template_folder=str(ROOT / "templates"), static_folder="static")
    app.config.update(
        SECRET_KEY=_session_secret(settings.instance_path),
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.issuer.startswith("https://"),
        # On https the __Host- prefix: the browser refuses the cookie unless Secure, for "/", no Domain.
        SESSION_COOKIE_NAME=_cookie_name(settings.issuer),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        SESSION_REFRESH_EACH_REQUEST=False,     # a session lasts 12 h from login, not from last use
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI=ratelimit_storage.storage_uri(settings.ratelimit_storage),
        RATELIMIT_STORAGE_OPTIONS=({"database_url": settings.database_url}
                                   if settings.ratelimit_storage == "database" else {}),
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
    )
    app.extensions["hallmark"] = settings
    _check_metadata(settings)
    if settings.trusted_proxies:
        from idp.web.proxy import TrustedProxy

        app.wsgi_app = TrustedProxy(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    from idp.web.sessions import SignedCookieSessions

    app.session_interface = SignedCookieSessions()

    from idp.common import private_api
    from idp.oauth import server as oauth
    from idp.platform import log_redaction
    from idp.store import pool_health, sqlite
    from idp.store.db import db, migrate
    from idp.views import register_blueprints
    from idp.web import errors, i18n, security_headers, templating
    from idp.web.extensions import csrf, limiter

    db.init_app(app)
    with app.app_context():
        sqlite.tune(db.engine)
        pool_health.ping_when_idle(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    # Every Hallmark limit is a route decorator, checked by the decorator itself; with no default or
    # application-wide limits, the per-request middleware check only costs time, so it is dropped.
    private_api.drop_limiter_request_check(app, limiter)
    app.extensions["hallmark.oauth"] = oauth.create_server(app, settings)
    register_blueprints(app)
    errors.register(app)
    security_headers.register(app)
    templating.register(app)
    i18n.register(app)
    log_redaction.install()

    if create_schema:
        with app.app_context():
            db.create_all()
            prepare(app)
    return app


def prepare(app: Flask) -> None:
    """First-run work needing a migrated database: signing keys and the ``sigstore`` client."""
    from idp.oauth import client_records as clients
    from idp.oauth import signing_keys as keys

    settings = app.extensions["hallmark"]
    with app.app_context():
        keys.ensure_keys(settings)
        clients.ensure_sigstore_client(settings.fresh_touch_for_signing)
