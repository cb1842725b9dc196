"""SQLite tuning for the embedded default: WAL (several workers), a busy timeout, foreign keys.

WAL with ``synchronous=NORMAL`` keeps every commit across a crash or ``kill -9`` of the process; only
a power loss can drop the last transactions (use PostgreSQL where that matters).
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def tune(engine: Engine) -> None:
    """Set the pragmas on every new SQLite connection of ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")   # WAL + NORMAL: durable across process crashes
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
