"""Trust from a community's TUF repository: bootstrap once with root.json, then update on every run."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import platformdirs
import requests
from sigstore.models import ClientTrustConfig
from tuf.api import exceptions as tuf_errors
from tuf.ngclient import Updater

from . import ClientError, UsageError

TARGETS = ("trusted_root.json", "signing_config.v0.2.json")
CLIENT_TRUST_CONFIG = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"


def _dirs(tuf_url: str) -> tuple[Path, Path]:
    name = quote(tuf_url, safe="")
    return (Path(platformdirs.user_data_dir("hallmark")) / "tuf" / name,
            Path(platformdirs.user_cache_dir("hallmark")) / "tuf" / name)


def tuf_url_of(idp_url: str) -> str:
    """The TUF repository a Hallmark advertises in its discovery document."""
    url = f"{idp_url.rstrip('/')}/.well-known/openid-configuration"
    try:
        reply = requests.get(url, timeout=10)
        reply.raise_for_status()
        tuf_url = reply.json().get("hallmark_tuf_url")
    except (requests.RequestException, ValueError) as exc:
        raise ClientError(f"Cannot read {url}: {exc.__class__.__name__}. Is {idp_url} a Hallmark?") from exc
    if not isinstance(tuf_url, str):
        raise ClientError(f"{idp_url} does not advertise a TUF repository (no hallmark_tuf_url in discovery).")
    return tuf_url


def _explain(exc: Exception) -> str:
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        return f"the trust metadata has expired ({exc}); the instance must re-sign it"
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return f"the metadata is older than what this machine already trusts — a possible rollback attack ({exc})"
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return f"the metadata is not signed by enough trusted keys ({exc})"
    if isinstance(exc, (tuf_errors.LengthOrHashMismatchError, tuf_errors.DownloadLengthMismatchError)):
        return f"a trust file does not match its signed hash: it was tampered with ({exc})"
    if isinstance(exc, tuf_errors.DownloadError):
        return f"the repository is unreachable or incomplete ({exc.__class__.__name__})"
    return str(exc) or exc.__class__.__name__


def _fetch(tuf_url: str, bootstrap: bytes | None) -> ClientTrustConfig:
    metadata_dir, targets_dir = _dirs(tuf_url)
    if bootstrap is None and not (metadata_dir / "root.json").exists():
        raise UsageError(f"This machine does not trust {tuf_url} yet: run 'hallmark trust IDP_URL root.json' "
                         "with the root.json your community published.")
    metadata_dir.mkdir(parents=True, exist_ok=True)
    targets_dir.mkdir(parents=True, exist_ok=True)
    try:
        updater = Updater(metadata_dir=str(metadata_dir), metadata_base_url=tuf_url,
                          target_base_url=f"{tuf_url}/targets/", target_dir=str(targets_dir), bootstrap=bootstrap)
        updater.refresh()
        documents = {}
        for name in TARGETS:
            info = updater.get_targetinfo(name)
            if info is None:
                raise ClientError(f"{tuf_url} does not publish {name}.")
            path = updater.find_cached_target(info) or updater.download_target(info)
            documents[name] = json.loads(Path(path).read_text())
    except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
        raise ClientError(f"Refusing the trust metadata from {tuf_url}: {_explain(exc)}.") from exc
    config = {"mediaType": CLIENT_TRUST_CONFIG, "trustedRoot": documents["trusted_root.json"],
              "signingConfig": documents["signing_config.v0.2.json"]}
    try:
        return ClientTrustConfig.from_json(json.dumps(config))
    except Exception as exc:  # sigstore raises several types for malformed documents
        raise ClientError(f"{tuf_url} publishes an unusable trust root: {exc}") from exc


def trust(idp_url: str, root_json: Path) -> str:
    """Bootstrap trust in ``idp_url``'s repository from ``root_json``; returns the repository URL."""
    try:
        bootstrap = root_json.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {root_json}: {exc.strerror}.") from exc
    tuf_url = tuf_url_of(idp_url)
    _fetch(tuf_url, bootstrap)
    return tuf_url


def trust_config_from(idp_url: str) -> ClientTrustConfig:
    """Update from the repository (already trusted) and return the instance's trust config."""
    return _fetch(tuf_url_of(idp_url), None)
