"""Every HALLMARK_* variable is read through idp/platform/config.py and listed in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idp.platform.config import VARIABLES, environment

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"HALLMARK_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])")    # not a family such as HALLMARK_SMTP_*
SOURCES = sorted((ROOT / "idp").rglob("*.py"))


def test_every_name_in_the_code_is_a_known_setting():
    used = {name for path in SOURCES for name in NAME.findall(path.read_text())}
    assert used - VARIABLES == set()


def test_no_module_but_config_reads_the_environment_for_a_setting():
    config = ROOT / "idp" / "platform" / "config.py"
    direct = re.compile(r"(os\.environ\.(get|setdefault|pop)\(|getenv\()[^\n]*HALLMARK_|"
                        r"os\.environ\[[^\]]*HALLMARK_[^\]]*\](?!\s*=)")
    readers = [str(p.relative_to(ROOT)) for p in SOURCES if p != config and direct.search(p.read_text())]
    assert readers == []


def test_the_readme_lists_every_setting():
    readme = set(NAME.findall((ROOT / "README.md").read_text()))
    assert VARIABLES - readme == set()


def test_an_unknown_name_is_refused():
    with pytest.raises(KeyError, match="not a Hallmark setting"):
        environment("HALLMARK_NO_SUCH_THING")
