"""A throw-away PostgreSQL server (Debian's), started as the postgres user when we are root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from hallmark_testing.servers import free_port


def _binary(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def running():
    """Yield a started server (for fixtures), failing clearly if PostgreSQL is not installed."""
    import pytest

    if not available():
        pytest.fail("PostgreSQL is not installed: run 'make test' (it installs Debian's postgresql)")
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


class PostgresServer:
    """initdb + pg_ctl on a free port, fsync off; ``database()`` hands out fresh empty databases."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="hallmark-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8")
        self.start_server()

    def start_server(self) -> None:
        """Start (or restart) the server on its port and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w",
                  "start")

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data (``fast`` disconnects clients, as an outage would)."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "stop")

    def _run(self, *command: str) -> None:
        if self._as_postgres:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def admin_connection(self):
        """A psycopg connection as the superuser (autocommit), for setting up and breaking things."""
        import psycopg

        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True)

    def database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self.admin_connection() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self.stop_server("immediate")
        finally:
            if not os.environ.get("HALLMARK_TEST_KEEP_PG"):
                shutil.rmtree(self.folder, ignore_errors=True)
