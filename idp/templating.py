"""Filters the templates use."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask


def utc_time(timestamp: int | float) -> str:
    """A Unix time as ``2026-12-01 18:30:05 UTC``."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def register(app: Flask) -> None:
    app.jinja_env.filters["utc_time"] = utc_time
