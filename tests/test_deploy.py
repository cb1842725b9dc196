"""The deployment recipe: Docker cannot run here, so its files are checked for what they promise."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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
    assert {"hallmark", "postgres", "stack-init", "fulcio", "tesseract", "rekor", "tsa"} <= set(services)


def test_images_are_pinned():
    for name, service in compose()["services"].items():
        if "image" in service:
            assert re.search(r":v?\d+\.\d+", service["image"]), f"{name}: {service['image']} is not pinned"


def test_the_stack_runs_what_hallmark_stack_runs_built_from_the_pinned_sources():
    services = compose()["services"]
    for name in ("fulcio", "tesseract", "rekor", "tsa"):
        assert services[name]["command"] == ["hallmark", "stack", "run", name], name
        assert "image" not in services[name] and services[name]["build"] == "..", f"{name}: no prebuilt image"
        assert services[name]["depends_on"]["stack-init"] == {"condition": "service_completed_successfully"}
    init = " ".join(services["stack-init"]["command"])
    assert "hallmark stack init --host 0.0.0.0" in init and "test -f /var/lib/hallmark/stack/stack.json" in init
    for variable in ("FULCIO_URL", "CT_URL", "REKOR_URL", "TSA_URL"):
        assert f"$${{{variable}}}" in init and variable in env_example(), variable
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM golang:1.26" in dockerfile and "tools/build-sigstore-bins.sh" in dockerfile
    assert "COPY --from=sigstore /src/.sigstore-bin /opt/sigstore-bin" in dockerfile


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM ", text, re.M)
    assert len(stages) >= 2
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER (?!root)\w+", final, re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final and "gunicorn" in final
    assert not re.search(r"apt-get install|build-essential|gcc", final)


def test_the_systemd_units_in_deploy_are_what_hallmark_stack_systemd_writes():
    """deploy/systemd/ holds the units for the paths the deployment guide uses; they must not drift from
    the generator (regenerate with 'hallmark stack systemd --output deploy/systemd --user hallmark')."""
    from idp.stack.layout import Layout
    from idp.stack.systemd import units

    expected = units(Layout(Path("/var/lib/hallmark/stack")), instance=Path("/var/lib/hallmark"),
                     issuer="https://id.example.org", hallmark=Path("/opt/hallmark/.venv/bin/hallmark"),
                     environment_file=Path("/etc/hallmark/stack.env"), user="hallmark")
    committed = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("hallmark-stack-*.service")}
    assert committed == expected


def test_the_monitor_runs_from_a_timer_and_from_compose():
    service = (DEPLOY / "systemd" / "hallmark-monitor.service").read_text()
    assert "ExecStart=/opt/hallmark/.venv/bin/hallmark monitor run" in service and "Type=oneshot" in service
    assert "SuccessExitStatus=1" in service                          # findings are reported, not retried
    assert "OnUnitActiveSec=" in (DEPLOY / "systemd" / "hallmark-monitor.timer").read_text()
    monitor = compose()["services"]["monitor"]
    assert monitor["command"][:3] == ["hallmark", "monitor", "follow"] and monitor["build"] == ".."
