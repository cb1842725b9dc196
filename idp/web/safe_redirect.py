"""Where a browser may be sent after login: same-origin paths only (docs/security-checklist.md 34)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def is_local_path(target: str) -> bool:
    """True for a path on this site, like ``/account?x=1``.

    Browsers drop tabs and newlines inside URLs and read ``\\`` as ``/``, so ``/\\t/evil.example``
    and ``/\\evil`` mean ``//evil.example``: any control character, space or backslash — raw or
    percent-encoded — disqualifies the target, as does anything with a scheme or a host.
    """
    if not target or not target.startswith("/") or len(target) > 2048:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    path = target.split("?", 1)[0].split("#", 1)[0]
    for text in (path, unquote(path)):
        if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in text) or "\\" in text or text.startswith("//"):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc

def safe_next(target: object, default: str) -> str:
    """``target`` if it is a local path (see :func:`is_local_path`), else ``default``."""
    return target if isinstance(target, str) and is_local_path(target) else default
