"""Rate-limit counters: in Hallmark's database (the default), or in this process only (``memory://``).

Redis (``HALLMARK_REDIS_URL``) is handled by ``limits`` itself.

The in-process storage, ``HALLMARK_RATELIMIT_STORAGE=memory://`` (one process, tests, benchmarks):

``limits``' ``MemoryStorage`` starts a timer thread to expire counters whenever none is running, so
under load a worker starts a thread every 10 ms; those starts cost ~4% of the code flow's throughput
(``bench/load.py``). This subclass expires a counter when it is used, as the fixed-window strategy
already does on read, and sweeps the stale ones inline once a minute.
"""

from __future__ import annotations

import os
import time

from limits.storage import MemoryStorage, Storage
from sqlalchemy import case, create_engine, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .models import RateCounter

COUNTERS = RateCounter.__table__

SCHEME = "hallmark-memory"
SWEEP_EVERY = 60.0


class InlineExpiryMemoryStorage(MemoryStorage):
    """``MemoryStorage`` for the fixed-window strategy, without a timer thread."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = time.time() + SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` hits on ``key``; a counter whose window is over starts again from zero."""
        now = time.time()
        if now >= self.next_sweep:
            self.sweep(now)
        self.get(key)                                   # drops the counter if its window is over
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = now + expiry
        return self.storage.get(key, 0)

    def sweep(self, now: float) -> None:
        """Forget every counter whose window is over (memory stays bounded by the active clients)."""
        self.next_sweep = now + SWEEP_EVERY
        for key, expires in list(self.expirations.items()):
            if expires <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


DATABASE_SCHEME = "hallmark-db"


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_counters`` table of Hallmark's own database (the default).

    Every gunicorn worker and every instance on the same database counts against the same windows
    (finding F6: per-process counters let ``workers x limit`` through). Each hit is one atomic upsert
    on a connection of its own, outside the request's transaction, so a request that fails still
    counts. Expired windows restart on their next hit; stale rows are swept inline once a minute.
    """

    STORAGE_SCHEME = [DATABASE_SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.database_url = str(options.get("database_url") or "")
        self._engine: Engine | None = None
        self._pid = 0
        self.next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def engine(self) -> Engine:
        """This process's engine (made after a fork, never shared with the parent)."""
        if self._engine is None or self._pid != os.getpid():
            from . import sqlite

            self._engine = create_engine(self.database_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
            sqlite.tune(self._engine)
            self._pid = os.getpid()
        return self._engine

    def _upsert(self, key: str, expiry: float, amount: int, now: float):
        dialect = self.engine().dialect.name
        insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_(COUNTERS).values(key=key, count=amount, expires_at=now + expiry)
        expired = COUNTERS.c.expires_at <= now
        return statement.on_conflict_do_update(index_elements=[COUNTERS.c.key], set_={
            "count": case((expired, amount), else_=COUNTERS.c.count + amount),
            "expires_at": case((expired, now + expiry), else_=COUNTERS.c.expires_at),
        }).returning(COUNTERS.c.count)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self.engine().connect() as connection:
            if now >= self.next_sweep:
                self.next_sweep = now + SWEEP_EVERY
                connection.execute(delete(COUNTERS).where(COUNTERS.c.expires_at <= now))
            return int(connection.execute(self._upsert(key[:255], expiry, amount, now)).scalar_one())

    def _row(self, key: str):
        with self.engine().connect() as connection:
            return connection.execute(select(COUNTERS.c.count, COUNTERS.c.expires_at)
                                      .where(COUNTERS.c.key == key[:255])).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine().connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine().connect() as connection:
            return connection.execute(delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self.engine().connect() as connection:
            connection.execute(delete(COUNTERS).where(COUNTERS.c.key == key[:255]))


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter: ours for ``database`` and ``memory://``, others unchanged."""
    if configured == "database":
        return f"{DATABASE_SCHEME}://"
    return f"{SCHEME}://" if configured == "memory://" else configured
