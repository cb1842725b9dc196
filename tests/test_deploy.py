"""The deployment recipe: Docker cannot run here, so its files are checked for what they promise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from idp.config import Settings
from idp.identity import fulcio_config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ROOT = DEPLOY.parent


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def env_example() -> dict:
    pairs = [line.split("=", 1) for line in (DEPLOY / ".env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    return dict(pairs)


def test_every_service_the_readme_names_exists():
    services = compose()["services"]
    first_cells = [line.split("|")[1] for line in (DEPLOY / "README.md").read_text().splitlines()
                   if line.startswith("| `")]
    named = {name for cell in first_cells for name in re.findall(r"`([a-z-]+)`", cell)}
    assert named and named <= set(services), named - set(services)
    assert {"hallmark", "postgres", "fulcio", "ctfe", "rekor"} <= set(services)


def test_images_are_pinned():
    for name, service in compose()["services"].items():
        if "image" in service:
            assert re.search(r":v?\d+\.\d+", service["image"]), f"{name}: {service['image']} is not pinned"


def test_mounted_fulcio_config_is_hallmark_fulcio_config_output():
    fulcio = compose()["services"]["fulcio"]
    mount = next(v for v in fulcio["volumes"] if "/etc/fulcio-config/" in v)
    source = DEPLOY / mount.split(":")[0]
    assert "--config-path=/etc/fulcio-config/config.json" in fulcio["command"]
    env = {k: v for k, v in env_example().items() if k.startswith("HALLMARK_") and k in (
        "HALLMARK_ISSUER", "HALLMARK_IDENTITY", "HALLMARK_SUBJECT_DOMAIN")}
    assert json.loads(source.read_text()) == json.loads(fulcio_config(Settings.from_env(env=env)))


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM ", text, re.M)
    assert len(stages) >= 2
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER (?!root)\w+", final, re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final and "gunicorn" in final
    assert not re.search(r"apt-get install|build-essential|gcc", final)
