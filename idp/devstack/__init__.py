"""A local Sigstore stack for development and tests: Fulcio-compatible CA, CT log, Rekor-v1-compatible log.

This is a development tool, not a production CA: its keys sit unencrypted in the instance
folder and it binds only to loopback. Production deployments run real Fulcio and Rekor.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from idp.devstack.ca import CertificateAuthority
from idp.devstack.fulcio_config import FulcioConfig
from idp.devstack.rekor import TransparencyLog
from idp.devstack.tile_mirror import TileMirror
from idp.devstack.tokens import TokenVerifier
from idp.devstack.trust import write_trust_config


def create_devstack_app(folder: Path, fulcio_config: FulcioConfig, public_url: str, oidc_url: str) -> Flask:
    """The stack as one Flask app: Fulcio API at ``/api/v2``, Rekor API at ``/api/v1``."""
    from idp.devstack.views import fulcio_bp, rekor_bp

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = Flask("hallmark-devstack")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    ca = CertificateAuthority.load_or_create(folder)
    log = TransparencyLog.open(folder, public_url)
    origin = urlsplit(public_url).netloc
    ca.ct.mirror = TileMirror(folder / "tiles" / "ct", "data", ca.ct.key, f"{origin}/ct")
    log.mirror = TileMirror(folder / "tiles" / "rekor", "entries", log.key, log.origin)
    app.extensions["devstack"] = {
        "ca": ca, "log": log, "verifier": TokenVerifier(fulcio_config), "config": fulcio_config,
        "public_url": public_url,
    }
    app.extensions["devstack"]["trust_config_path"] = write_trust_config(folder, ca, log, public_url, oidc_url)
    app.register_blueprint(fulcio_bp)
    app.register_blueprint(rekor_bp)
    return app
