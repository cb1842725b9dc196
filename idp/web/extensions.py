"""The web-layer Flask extensions, created unbound and initialised in the app factory: CSRF and rate limits."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from idp.platform.config import settings

csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def login_limit() -> str:
    """The per-address rate limit of the login, enrollment and key endpoints (``HALLMARK_RATELIMIT_LOGIN``)."""
    return settings().ratelimit_login


def token_limit() -> str:
    """The per-address rate limit of the token endpoints (``HALLMARK_RATELIMIT_TOKEN``)."""
    return settings().ratelimit_token


def csrf_exempt(view: F) -> F:
    """Exempt ``view`` from the CSRF check: the machine endpoints (token, userinfo, device authorization)
    take no browser session, so there is no cross-site request to forge."""
    csrf.exempt(view)
    return view
