"""docs/security-checklist.md 31: the database goes away mid-run → 503 with a clear message, nothing half-written,
service resumes when it is back, without a restart."""

from __future__ import annotations

import time

import pytest
import requests

from hallmark_testing import pg
from hallmark_testing.helpers import enroll, new_invite, post_json
from hallmark_testing.http import HttpClient
from hallmark_testing.servers import LiveServer
from hallmark_testing.softauthn import SoftAuthenticator
from idp.store.models import User


@pytest.fixture
def own_postgres():
    """A server of this test's own, since the test stops it."""
    yield from pg.running()


def test_postgresql_stops_and_comes_back(tmp_path, own_postgres):
    server = LiveServer(tmp_path, database_url=own_postgres.database())
    try:
        client = HttpClient(server.url)
        enroll(client, server.app, "before")
        own_postgres.stop_server()
        down = requests.get(f"{server.url}/healthz", timeout=10)
        assert down.status_code == 503
        refused = post_json(HttpClient(server.url), "/login/options")
        assert refused.status_code == 503 and "database is unavailable" in refused.get_json()["error_description"]
        assert refused.headers["Retry-After"]
        own_postgres.start_server()
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        enroll(HttpClient(server.url), server.app, "after")
        with server.app.app_context():
            assert {u.username for u in User.query.all()} == {"before", "after"}
    finally:
        server.stop()


def test_enrollment_is_all_or_nothing_when_the_database_fails(tmp_path, own_postgres, monkeypatch):
    """A failure between claiming the invitation and writing the user leaves neither behind."""
    server = LiveServer(tmp_path, database_url=own_postgres.database())
    try:
        client = HttpClient(server.url)
        token = new_invite(server.app)
        auth = SoftAuthenticator(origin=server.app.extensions["hallmark"].origin)
        options = post_json(client, f"/enroll/{token}/options", {"username": "halfway"}).get_json()
        from idp.ceremony import enrollment as enroll_view

        def broken(*args, **kwargs):
            from sqlalchemy.exc import OperationalError

            raise OperationalError("INSERT", {}, Exception("connection lost"))

        monkeypatch.setattr(enroll_view, "new_credential", broken)
        response = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options)})
        assert response.status_code == 503
        with server.app.app_context():
            assert User.query.filter_by(username="halfway").first() is None
        assert client.get(f"/enroll/{token}").status_code == 200          # the invitation is still usable
    finally:
        server.stop()


def _terminate_backends(postgres, database_url: str) -> int:
    """Kill every server connection to the test database, as a restart or failover would."""
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    with postgres.admin_connection() as connection:
        return len(connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                      (name,)).fetchall())


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(tmp_path, postgres):
    """The pool pings a connection idle for over a second (idp/store/pool_health.py) instead of failing on it."""
    url = postgres.database()
    server = LiveServer(tmp_path, database_url=url)
    try:
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert _terminate_backends(postgres, url) >= 1
        time.sleep(1.2)
        for _ in range(3):
            assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()


def test_sqlite_locked_by_another_process_answers_503_then_resumes(tmp_path):
    """The embedded database: another process holds its write lock (a backup, a stuck script) past
    the 5 s busy timeout → writes answer 503, nothing is half-written, and service resumes by itself."""
    import sqlite3

    server = LiveServer(tmp_path)
    try:
        enroll(HttpClient(server.url), server.app, "before")
        token = new_invite(server.app)
        holder = sqlite3.connect(server.app.extensions["hallmark"].instance_path / "hallmark.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            client = HttpClient(server.url)
            refused = post_json(client, f"/enroll/{token}/options", {"username": "blocked"})
            assert refused.status_code == 503 and "database is unavailable" in refused.get_json()["error_description"]
            assert refused.headers["Retry-After"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        enroll(HttpClient(server.url), server.app, "after")
        with server.app.app_context():
            assert {u.username for u in User.query.all()} == {"before", "after"}
    finally:
        server.stop()
