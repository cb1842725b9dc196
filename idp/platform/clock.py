"""The one source of time, so tests can freeze it."""

from datetime import datetime, timezone


def now() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(timezone.utc)


def timestamp() -> int:
    """Current Unix time in whole seconds."""
    return int(now().timestamp())
