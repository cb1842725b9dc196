"""One-time secrets never reach a log line (docs/security-checklist.md 44, finding F15).

Enrollment and recovery links, email confirmation links, user and device codes, authorization
codes and PKCE verifiers travel in URLs; an access log that writes the request line keeps them
usable for whoever reads the log. :func:`redact` replaces them with ``[redacted]``; the gunicorn
access log (``HALLMARK_ACCESS_LOG=1``) and the development server's request log both go through it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

MARK = "[redacted]"
SECRET_PATHS = re.compile(r"(/(?:enroll|account/email/verify)/)[^/?#\s\"]+")
SECRET_PARAMS = re.compile(r"((?:^|[?&;]|%3F|%26)(?:user_code|code|device_code|code_verifier|token|next|state|nonce)"
                           r"(?:=|%3D))[^&;#\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every one-time secret in a path or query replaced by ``[redacted]``."""
    return SECRET_PARAMS.sub(rf"\1{MARK}", SECRET_PATHS.sub(rf"\1{MARK}", text))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class GunicornLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type information
    """gunicorn's logger, with the request line, path, query and referrer redacted in the access log."""

    REDACTED_ATOMS = ("r", "U", "q", "f")

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in self.REDACTED_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms


def install(logger_name: str = "werkzeug") -> None:
    """Redact the records of ``logger_name`` (the development server's request log); idempotent."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
