"""The one source of time, so tests can freeze it."""

from datetime import UTC, datetime


def now() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


def timestamp() -> int:
    """Current Unix time in whole seconds."""
    return int(now().timestamp())
