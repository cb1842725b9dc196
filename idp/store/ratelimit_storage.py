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
import threading
import time
from typing import Any

from limits.storage import MemoryStorage, Storage
from sqlalchemy import (
    Executable,
    Float,
    Integer,
    Row,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    make_url,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from idp.common.private_api import memory_storage_tables
from idp.store.db import table_of
from idp.store.models import RateCounter

COUNTERS = table_of(RateCounter)

SCHEME = "hallmark-memory"
SWEEP_EVERY = 60.0


_ENGINE_LOCK = threading.Lock()

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
        counters, expirations, locks = memory_storage_tables(self)
        with locks[key]:
            counters[key] += amount
            if counters[key] == amount:
                expirations[key] = now + expiry
        found: int = counters.get(key, 0)
        return found

    def sweep(self, now: float) -> None:
        """Forget every counter whose window is over (memory stays bounded by the active clients)."""
        self.next_sweep = now + SWEEP_EVERY
        counters, expirations, locks = memory_storage_tables(self)
        for key, expires in list(expirations.items()):
            if expires <= now:
                counters.pop(key, None)
                expirations.pop(key, None)
                locks.pop(key, None)


DATABASE_SCHEME = "hallmark-db"
RECENT = 1.0      # seconds a hit's own answer stands in for a read of the same key


def _fast_counters(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()
    os.chmod(dbapi_connection.execute("PRAGMA database_list").fetchone()[2], 0o600)


class DatabaseStorage(Storage):
    """Fixed-window counters in a ``rate_counters`` table of Hallmark's database (the default).

    Every gunicorn worker and every instance on the same database counts against the same windows
    (finding F6: per-process counters let ``workers x limit`` through). Each hit is one atomic upsert
    on a connection of its own, outside the request's transaction, so a request that fails still
    counts. Expired windows restart on their next hit; stale rows are swept inline once a minute.
    """

    STORAGE_SCHEME = [DATABASE_SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.database_url = str(options.get("database_url") or "")
        self._engine: Engine | None = None
        self._pid = 0
        self._statement: Executable | None = None
        self.recent: dict[str, tuple[float, int, float]] = {}     # key → (when, count, expires_at)
        self.next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def engine(self) -> Engine:
        """This process's engine (made after a fork, never shared with the parent). With SQLite the
        counters live in a file of their own beside the database, written without fsync: they need
        not survive a power cut, and the main database's write lock stays free for logins."""
        if self._engine is not None and self._pid == os.getpid():
            return self._engine
        with _ENGINE_LOCK:                   # one engine per process, even when threads ask at once
            if self._engine is None or self._pid != os.getpid():
                url = make_url(self.database_url)
                if url.get_backend_name() == "sqlite" and url.database:
                    url = url.set(database=f"{url.database}-ratelimits")
                    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})
                    event.listen(engine, "connect", _fast_counters)
                    try:
                        COUNTERS.create(engine, checkfirst=True)
                    except OperationalError as exc:   # another process created it between check and create
                        if "already exists" not in str(exc):
                            raise
                else:
                    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
                self._engine, self._pid, self._statement = engine, os.getpid(), None
        return self._engine

    def _upsert(self) -> Executable:
        """The hit statement for this engine's dialect, built once (a new one per hit costs a compile)."""
        if self._statement is None:
            insert_ = postgresql_insert if self.engine().dialect.name == "postgresql" else sqlite_insert
            now, amount = bindparam("now", type_=Float), bindparam("amount", type_=Integer)
            until = bindparam("until", type_=Float)
            expired = COUNTERS.c.expires_at <= now
            self._statement = (insert_(COUNTERS).values(key=bindparam("key"), count=amount, expires_at=until)
                               .on_conflict_do_update(index_elements=[COUNTERS.c.key], set_={
                                   "count": case((expired, amount), else_=COUNTERS.c.count + amount),
                                   "expires_at": case((expired, until), else_=COUNTERS.c.expires_at)})
                               .returning(COUNTERS.c.count, COUNTERS.c.expires_at))
        return self._statement

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self.engine().connect() as connection:
            if now >= self.next_sweep:
                self.next_sweep = now + SWEEP_EVERY
                connection.execute(delete(COUNTERS).where(COUNTERS.c.expires_at <= now))
                self.recent.clear()
            row = connection.execute(self._upsert(), {"key": key[:255], "amount": amount, "now": now,
                                                      "until": now + expiry}).first()
        if row is None:
            raise SQLAlchemyError("the counter upsert returned no row")
        count = int(row[0])
        # The window's state as this hit left it: the rate-limit headers ask for it right away, and a
        # second and third query per request would cost more than the hit itself.
        self.recent[key[:255]] = (now, count, float(row[1]))
        return count

    def _row(self, key: str) -> Row[Any, Any] | None:
        with self.engine().connect() as connection:
            return connection.execute(select(COUNTERS.c.count, COUNTERS.c.expires_at)
                                      .where(COUNTERS.c.key == key[:255])).first()

    def _fresh(self, key: str) -> tuple[float, int, float] | None:
        known = self.recent.get(key[:255])
        return known if known is not None and time.time() - known[0] < RECENT else None

    def get(self, key: str) -> int:
        known = self._fresh(key)
        if known is not None:
            return known[1]
        row = self._row(key)
        return int(row[0]) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        known = self._fresh(key)
        if known is not None:
            return known[2]
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
