"""``hallmark stack up`` and ``hallmark stack run`` with the real servers, as a self-hoster types them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from hallmark_testing.commands import admin_env, hallmark_cli, read_until
from hallmark_testing.servers import LiveServer, consecutive_free_ports
from judges.conftest import one_tsa_per_machine

PASSPHRASE = "kV3q9-Xh2mZp7LwR4tYc8NbJ6dFs1gHaQe5uT0oI"


@pytest.fixture
def initialized(tmp_path):
    with one_tsa_per_machine():
        yield from initialize(tmp_path)


def initialize(tmp_path):
    hallmark = LiveServer(tmp_path / "idp")
    base = consecutive_free_ports()
    env = admin_env(tmp_path / "instance", hallmark.url, HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--base-port", str(base), env=env)
    assert done.returncode == 0, done.stderr
    yield env, base, hallmark
    hallmark.stop()


def test_up_starts_four_servers_says_where_and_stops_them_on_ctrl_c(initialized):
    env, _, _ = initialized
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "stack", "up"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        said = read_until(process, "Press Ctrl-C")
        for title in ("TesseraCT (certificate transparency log)", "Rekor v2 (transparency log)",
                      "timestamp authority (RFC 3161)", "Fulcio (certificate authority)"):
            assert f"up  {title} at http://localhost:" in said and "log " in said, said
        status = hallmark_cli("stack", "status", env=env)
        assert status.stdout.count("     up  ") == 4, status.stdout
        assert re.search(r"\d+  entries in the Rekor v2 log, last checkpoint \d+ s ago", status.stdout), status.stdout
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0 and "stopped" in rest, rest
    assert hallmark_cli("stack", "status", env=env).stdout.count("DOWN") == 4


def test_up_refuses_while_hallmark_does_not_answer(initialized):
    env, _, hallmark = initialized
    hallmark.stop()
    done = hallmark_cli("stack", "up", env=env)
    assert done.returncode == 1 and "start Hallmark first" in done.stderr, done.stderr


def test_stack_run_execs_one_server_with_the_flags_up_gives_it(initialized):
    env, base, _ = initialized
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "stack", "run", "rekor"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{base + 2}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "rekor-server did not come up"
            time.sleep(0.1)
        with open(f"/proc/{process.pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        assert argv[0].endswith(b"rekor-server") and b"--checkpoint-interval=1s" in argv, argv
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_up_can_run_the_identity_monitor_beside_the_servers(initialized, tmp_path):
    env, _, _ = initialized
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "stack", "up", "--monitor", "1"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log = tmp_path / "instance" / "stack" / "logs" / "monitor.log"
    try:
        said = read_until(process, "Press Ctrl-C")
        assert f"up  the identity monitor, every 1 s (log {log})" in said, said
        deadline = time.monotonic() + 60
        while "new finding(s)" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, log.read_text() if log.exists() else "no monitor log"
            time.sleep(0.5)
        assert "Traceback" not in log.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0 and "stopped" in rest, rest
