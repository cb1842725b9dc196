"""The newcomer's path (issue 17): what a first day with Hallmark tried, driven as the user did."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hallmark_testing.commands import admin_env, hallmark_cli
from hallmark_testing.helpers import make_settings
from hallmark_testing.servers import free_port
from idp import create_app

ROOT = Path(__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file's digest, except SQLite's own journal files."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


@pytest.fixture
def running_dev(tmp_path):
    """A first ``hallmark dev`` on its own ports and instance folder, up and printing its banner."""
    instance = tmp_path / "instance"
    env = admin_env(instance, f"http://localhost:{free_port()}")
    del env["HALLMARK_ISSUER"]
    port, stack_port = free_port(), free_port()
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "dev", "--stack", "stand-in", "--port", str(port), "--stack-port",
                                str(stack_port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if "Press Ctrl-C" in line:
            break
        assert process.poll() is None, "".join(seen)
    else:
        raise AssertionError("hallmark dev did not come up:\n" + "".join(seen))
    yield env, instance, port, stack_port, process
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


def test_n1_a_second_dev_on_a_busy_instance_refuses_and_changes_nothing(running_dev):
    env, instance, port, stack_port, first = running_dev
    before = snapshot(instance)
    second = subprocess.run([sys.executable, "-m", "idp.cli", "dev", "--stack", "stand-in", "--port", str(free_port()), "--stack-port",
                             str(free_port())], env=env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert f"is in use by process {first.pid}" in second.stderr and "hallmark dev --port" in second.stderr
    assert "Hallmark is up" not in second.stdout and "/enroll/" not in second.stdout
    assert snapshot(instance) == before                    # logs, trust config, keys: byte for byte


def test_n1_a_port_taken_by_another_program_is_refused(running_dev, tmp_path):
    env, _, port, _, _ = running_dev
    other = admin_env(tmp_path / "other")
    del other["HALLMARK_ISSUER"]
    result = subprocess.run([sys.executable, "-m", "idp.cli", "dev", "--stack", "stand-in", "--port", str(port), "--stack-port",
                             str(free_port())], env=other, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and f"port {port} (--port) is already in use" in result.stderr
    assert not (tmp_path / "other" / "logs").exists()


def _serve_warnings(env: dict, port: int) -> str:
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve", "--port", str(port), "--no-invite",
                                "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    lines = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "Booting worker" in line or not line:
                break
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    return "".join(lines)


def test_n3_an_issuer_on_another_port_is_warned_about(tmp_path):
    env = admin_env(tmp_path / "instance")
    del env["HALLMARK_ISSUER"]                                  # the default says port 8080
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    port = free_port()
    output = _serve_warnings(env, port)
    assert f"warning: HALLMARK_ISSUER is http://localhost:8080 (port 8080), but this server listens on port {port}" \
        in output and f"HALLMARK_ISSUER=http://localhost:{port}" in output


def test_n3_an_https_issuer_without_tls_is_warned_about(tmp_path):
    port = free_port()
    env = admin_env(tmp_path / "instance", f"https://localhost:{port}")
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    output = _serve_warnings(env, port)
    assert "speaks plain http: a browser cannot open its links" in output


def test_n3_a_refused_ceremony_says_why_in_the_log(tmp_path, capfd):
    from flask_migrate import upgrade

    from hallmark_testing.helpers import new_invite, post_json
    from hallmark_testing.softauthn import SoftAuthenticator

    app = create_app(make_settings(tmp_path))
    with app.app_context():          # migrations run first, as in `hallmark serve`: they must not silence the app
        upgrade(directory=app.extensions["migrate"].directory)
        from idp import prepare

        prepare(app)
    client = app.test_client()
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": "wrongorigin"}).get_json()
    answer = post_json(client, f"/enroll/{token}/verify",
                       {"credential": SoftAuthenticator(origin="https://localhost:8091").create(options)})
    assert answer.status_code == 400
    logged = capfd.readouterr().err
    assert "key registration refused" in logged and "https://localhost:8091" in logged


def test_n6_help_imports_no_server_and_lists_every_command():
    script = ("import sys\nfrom idp.cli import main, COMMANDS, SUMMARIES\n"
              "assert set(COMMANDS) == set(SUMMARIES)\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('flask', 'sigstore', 'sqlalchemy', 'authlib') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "verify" in result.stdout and "Sign FILES" in result.stdout


def test_n6_make_run_installs_only_when_the_project_changed(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / ".installed").touch()
    dry = subprocess.run(["make", "-n", "run", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and "pip install" not in dry.stdout and "hallmark dev" in dry.stdout
    os.utime(venv / ".installed", (0, 0))                    # older than pyproject.toml
    stale = subprocess.run(["make", "-n", "run", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "pip install" in stale.stdout


def test_n7_local_instances_on_two_ports_have_their_own_cookies(tmp_path):
    first = create_app(make_settings(tmp_path / "a", issuer="http://localhost:8090"))
    second = create_app(make_settings(tmp_path / "b", issuer="http://localhost:8091"))
    assert first.config["SESSION_COOKIE_NAME"] == "hallmark_session_8090"
    assert second.config["SESSION_COOKIE_NAME"] == "hallmark_session_8091"


def _read_variables() -> set[str]:
    """Every ``HALLMARK_*`` setting the code reads."""
    names = set()
    for path in [*(ROOT / "idp").rglob("*.py"), ROOT / "gunicorn.conf.py"]:
        text = path.read_text()
        names |= set(re.findall(r"HALLMARK_([A-Z0-9_]*[A-Z0-9])\b", text))
        if path.name == "config.py":
            names |= set(re.findall(r'\("[a-z0-9_]+", "([A-Z0-9_]+)"\)', text))
            names |= set(re.findall(r'get\("([A-Z0-9_]+)"', text))
    return {n for n in names if not n.startswith("SMTP_") or n != "SMTP"}


def _documented_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("Invalid settings stop the server")]
    found = set()
    for row in table.splitlines():
        first_cell = row.split("|")[1] if row.startswith("|") else ""
        prefix = ""
        for name in re.findall(r"`(HALLMARK_[A-Z0-9_]+|_[A-Z0-9_]+)`", first_cell):
            if name.startswith("HALLMARK_"):
                prefix = name.rsplit("_", 1)[0]
                found.add(name.removeprefix("HALLMARK_"))
            else:
                found.add(f"{prefix}{name}".removeprefix("HALLMARK_"))
    production = readme[readme.index("## Production"):]
    found |= set(re.findall(r"`HALLMARK_([A-Z0-9_]+)", production))
    return found


def test_n8_every_variable_the_code_reads_is_documented():
    missing = sorted(_read_variables() - _documented_variables())
    assert missing == [], f"undocumented HALLMARK_* settings: {missing}"
