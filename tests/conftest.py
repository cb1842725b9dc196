"""Fixtures: a fresh app per test on its own instance folder, and its test client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import make_settings  # noqa: E402
from idp import create_app  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def app(settings):
    app = create_app(settings, create_schema=True)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(app):
    return app.test_client()
