"""The built wheel is self-contained: installed into a fresh virtual environment outside the checkout,
it migrates a database, serves the login page and issues a signing token.

No network: the wheel is built with this environment's setuptools (``--no-build-isolation``) and
installed without dependencies; the fresh environment finds the dependencies through a path file
pointing at this environment's site-packages, which holds no copy of Hallmark itself (it is an
editable install, whose finder a path file does not load).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.commands import admin_env
from hallmark_testing.helpers import post_json, sigstore_token
from hallmark_testing.http import HttpClient
from hallmark_testing.servers import ServeProcess, free_port
from hallmark_testing.softauthn import SoftAuthenticator

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".git", ".venv", ".sigstore-bin", "build", "*.egg-info", "node_modules", "__pycache__", "instance",
              ".*_cache", ".hypothesis", "target")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the checkout: setuptools builds in the source's ``build/``, and with pytest-xdist
    this module-scoped fixture may run in two workers at once."""
    source = tmp_path_factory.mktemp("source") / "hallmark"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist),
        str(source))
    (built,) = dist.glob("hallmark_idp-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory, wheel) -> Path:
    """A virtual environment outside the checkout, with the wheel installed."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
        str(wheel))
    return python


def test_the_wheel_carries_templates_static_files_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for page in (ROOT / "templates").glob("*.html"):
        assert f"idp/templates/{page.name}" in names
    for migration in (ROOT / "migrations" / "versions").glob("*.py"):
        assert f"idp/migrations/versions/{migration.name}" in names
    assert {"idp/migrations/env.py", "idp/migrations/alembic.ini", "idp/static/webauthn.js",
            "idp/translations/de/LC_MESSAGES/messages.mo"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


def test_the_installed_wheel_migrates_serves_and_signs_a_token(tmp_path, fresh_python):
    where = run(str(fresh_python), "-c", "import idp; print(idp.__file__); print(idp.ROOT)", cwd=tmp_path).stdout
    package, data_root = where.split()
    assert not package.startswith(str(ROOT)) and Path(data_root) == Path(package).parent, where

    port = free_port()
    env = admin_env(tmp_path / "instance", f"http://localhost:{port}")
    hallmark = str(fresh_python.parent / "hallmark")
    assert "latest schema" in run(hallmark, "db", "upgrade", env=env, cwd=tmp_path).stdout
    link = run(hallmark, "invite", "create", "--admin", env=env, cwd=tmp_path).stdout.strip().splitlines()[-1]
    token = link.rsplit("/", 1)[1]

    server = ServeProcess(env, port=port, python=str(fresh_python), cwd=str(tmp_path))
    try:
        client = HttpClient(f"http://localhost:{port}")
        page = client.get("/login")
        assert page.status_code == 200 and "security key" in page.get_data(as_text=True).lower()
        german = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
        assert "Mit Sicherheitsschlüssel anmelden" in german           # the catalogue came with the wheel

        auth = SoftAuthenticator(origin=f"http://localhost:{port}")
        options = post_json(client, f"/enroll/{token}/options", {"username": "wheel"})
        assert options.status_code == 200, options.get_json()
        enrolled = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options.get_json())})
        assert enrolled.status_code == 200, enrolled.get_json()

        response, _ = sigstore_token(client, auth)
        assert response.status_code == 200, response.get_json()
        keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
        claims = jwt.decode(response.get_json()["access_token"], keys).claims
        assert claims["aud"] == "sigstore" and claims["sub"].endswith("/u/wheel")
    finally:
        server.stop()
