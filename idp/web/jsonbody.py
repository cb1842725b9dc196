"""The JSON object a request carries, or an empty one: never a list, number or string."""

from typing import Any

from flask import request


def json_object() -> dict[str, Any]:
    """``request``'s JSON body if it is an object, else ``{}`` (malformed bodies are the caller's 400)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}
