"""Flask extensions, created unbound and initialised in the app factory, and the running app's settings."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Executable, Result
from sqlalchemy.orm import DeclarativeBase

from .config import Settings


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})  # sessions are per request
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def run(statement: Executable, params: dict) -> Result:
    """Execute a prebuilt Core statement in the request's transaction, on its connection directly: the
    ORM session's per-call bookkeeping costs a third of a short indexed statement (the hot paths use this)."""
    return db.session.connection().execute(statement, params)


def settings() -> Settings:
    """The running app's validated ``HALLMARK_*`` settings (inside a request or app context)."""
    return current_app.extensions["hallmark"]


def login_limit() -> str:
    """The per-address rate limit of the login, enrollment and key endpoints (``HALLMARK_RATELIMIT_LOGIN``)."""
    return settings().ratelimit_login


def token_limit() -> str:
    """The per-address rate limit of the token endpoints (``HALLMARK_RATELIMIT_TOKEN``)."""
    return settings().ratelimit_token
