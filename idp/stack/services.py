"""The four servers of the stack: the pinned binary, its flags, its secrets (in the environment, never
on the command line) and the URL that answers once it is ready."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from idp.platform.config import environment
from idp.stack.layout import SERVICES, Layout, StackConfig, StackConfigError

# timestamp-server v2.1.3 serves Prometheus metrics on ":2112" (every interface), with no flag to
# move it: one TSA per machine, and nothing else may hold that port.
TSA_METRICS_PORT = 2112

PROJECT_BINARIES = Path(__file__).resolve().parents[2] / ".sigstore-bin"

BINARY = {"fulcio": "fulcio", "tesseract": "tesseract", "rekor": "rekor-server", "tsa": "timestamp-server"}
TITLE = {"fulcio": "Fulcio (certificate authority)", "tesseract": "TesseraCT (certificate transparency log)",
         "rekor": "Rekor v2 (transparency log)", "tsa": "timestamp authority (RFC 3161)"}


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    ready_url: str
    public_url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: tuple[tuple[str, int, str], ...] = ()       # (host, port, what for) it binds


    @property
    def title(self) -> str:
        return TITLE[self.name]


def binary_folder() -> Path:
    """``HALLMARK_SIGSTORE_BIN``, else the project's ``.sigstore-bin`` (``make sigstore-bins``)."""
    return Path(environment("HALLMARK_SIGSTORE_BIN") or PROJECT_BINARIES)


def binary(name: str) -> str:
    """The path of a pinned server binary; a clear error when it was not built."""
    program = BINARY[name]
    candidate = binary_folder() / program
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(program)
    if found:
        return found
    raise StackConfigError(f"{program} is not built (looked in {binary_folder()} and PATH): run 'make sigstore-bins', "
                           "which builds the versions pinned in tools/sigstore.versions from source with Go "
                           "(or set HALLMARK_SIGSTORE_BIN to a folder holding them)")


def missing_binaries() -> list[str]:
    missing = []
    for name in SERVICES:
        try:
            binary(name)
        except StackConfigError:
            missing.append(BINARY[name])
    return missing


def ready_urls(config: StackConfig) -> dict[str, str]:
    """The URL of each server that answers once it is ready, in start order."""
    local, ports = f"http://{config.host}", config.ports
    urls = {"tesseract": f"{local}:{ports.tesseract}/{config.ct_prefix}/ct/v1/get-roots",
            "rekor": f"{local}:{ports.rekor}/healthz", "tsa": f"{local}:{ports.tsa}/ping",
            "fulcio": f"{local}:{ports.fulcio}/api/v2/configuration"}
    return {name: urls[name] for name in SERVICES}


def _fulcio_ca(layout: Layout, config: StackConfig) -> list[str]:
    """Fulcio's CA flags: the encrypted key file, or the key in a PKCS#11 token (crypto11)."""
    if config.ca_custody == "pkcs11":
        # pkcs11ca reads the issuing certificate from --aws-hsm-root-ca-path despite its name, and
        # insists that --hsm-caroot-id is set even then.
        return ["--ca=pkcs11ca", f"--pkcs11-config-path={layout.crypto11}", "--hsm-caroot-id=file",
                f"--aws-hsm-root-ca-path={layout.fulcio_issuing}", f"--hsm-key-label={config.ca_key_label}"]
    return ["--ca=fileca", f"--fileca-cert={layout.fulcio_chain}", f"--fileca-key={layout.fulcio_key}",
            "--fileca-watch=false"]


def services(layout: Layout, config: StackConfig, passphrase: str) -> list[Service]:
    """The servers in start order (the CT log before Fulcio, which submits to it)."""
    host, ports, ready = config.host, config.ports, ready_urls(config)
    made = {
        "tesseract": Service("tesseract", [
            binary("tesseract"), f"-storage_dir={layout.storage('tesseract')}",
            f"-roots_pem_file={layout.ct_roots}", f"-private_key={layout.ct_key}", f"-origin={config.ct_origin}",
            f"-http_endpoint={host}:{ports.tesseract}", f"-path_prefix={config.ct_prefix}",
            "-checkpoint_interval=1s", "-batch_max_age=50ms", "-accept_sha1_signing_algorithms=false"],
            ready["tesseract"], config.ct_url, layout.log("tesseract"), ports=((host, ports.tesseract, "HTTP"),)),
        "rekor": Service("rekor", [
            binary("rekor"), "serve", f"--storage-dir={layout.storage('rekor')}",
            f"--signer-filepath={layout.rekor_key}", f"--hostname={config.rekor_origin}",
            f"--checkpoint-interval={config.checkpoint_interval}", "--batch-max-age=50ms", f"--http-address={host}",
            f"--http-port={ports.rekor}", f"--grpc-address={host}", f"--grpc-port={ports.rekor_grpc}",
            f"--http-metrics-port={ports.rekor_metrics}"],
            ready["rekor"], config.url("rekor"), layout.log("rekor"),
            ports=((host, ports.rekor, "HTTP"), (host, ports.rekor_grpc, "gRPC"),
                   (host, ports.rekor_metrics, "metrics"))),
        "tsa": Service("tsa", [
            binary("tsa"), "serve", "--timestamp-signer=file", f"--file-signer-key-path={layout.tsa_key}",
            f"--certificate-chain-path={layout.tsa_chain}", f"--host={host}", f"--port={ports.tsa}",
            "--disable-ntp-monitoring", "--log-type=prod"],
            ready["tsa"], f"{config.url('tsa')}/api/v1/timestamp", layout.log("tsa"),
            env={"FILE-SIGNER-PASSWD": passphrase},
            ports=((host, ports.tsa, "HTTP"),
                   ("0.0.0.0", TSA_METRICS_PORT, "metrics; fixed in timestamp-server, one TSA per machine"))),
        "fulcio": Service("fulcio", [
            binary("fulcio"), "serve", *_fulcio_ca(layout, config), f"--ct-log-url={config.ct_url}",
            f"--ct-log-public-key-path={layout.ct_public}", f"--config-path={layout.fulcio_config}",
            f"--host={host}", f"--port={ports.fulcio}", f"--grpc-host={host}", f"--grpc-port={ports.fulcio_grpc}",
            f"--metrics-port={ports.fulcio_metrics}", f"--legacy-unix-domain-socket=@hallmark-fulcio-{ports.fulcio}",
            "--log_type=prod"],
            ready["fulcio"], config.url("fulcio"), layout.log("fulcio"),
            env={"FULCIO_SERVE_FILECA-KEY-PASSWD": passphrase},
            ports=((host, ports.fulcio, "HTTP"), (host, ports.fulcio_grpc, "gRPC"),
                   (host, ports.fulcio_metrics, "metrics"))),
    }
    return [made[name] for name in SERVICES]
