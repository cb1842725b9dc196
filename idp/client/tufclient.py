"""Trust from a community's TUF repository, bound to the identity provider the user named (finding P3).

``hallmark trust IDP root.json`` reads IDP's discovery document once (https, or http on loopback;
no redirects), shows the root's keys, and stores the binding *IDP → repository URL* with that
repository's metadata in a folder of IDP's own. Later runs with ``--idp IDP`` use the stored
binding and never read the discovery document again, so whoever controls it later cannot point
IDP at another repository. Trusting IDP again with another repository or another root is refused
unless ``--replace`` is given, and then the change is printed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import platformdirs
import requests
from sigstore.models import ClientTrustConfig
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, Root
from tuf.ngclient import Updater

from idp.client import ClientError, UsageError
from idp.client.network import unreachable
from idp.client.shown import shown
from idp.common.hosts import is_loopback_host

TARGETS = ("trusted_root.json", "signing_config.v0.2.json")
CLIENT_TRUST_CONFIG = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
MAX_URL = 2048
MAX_DISCOVERY_BYTES = 256 * 1024
BINDING = "binding.json"


def check_url(url: object, what: str) -> str:
    """``url`` if it is an https URL, or http on a loopback host; else one sentence why not."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise ClientError(f"{what} must be a URL of at most {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError(f"{what} {shown(url)!r} is not an http(s) URL.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ClientError(f"{what} {shown(url)!r} uses plain http on a non-loopback host; only https is trusted.")
    return url.rstrip("/")


def _folder(idp_url: str) -> Path:
    return Path(platformdirs.user_data_dir("hallmark")) / "idps" / quote(idp_url, safe="")


def _cache(idp_url: str) -> Path:
    return Path(platformdirs.user_cache_dir("hallmark")) / "idps" / quote(idp_url, safe="")


@dataclass(frozen=True)
class Binding:
    """What this machine trusts for one identity provider."""

    idp_url: str
    tuf_url: str
    root_keys: tuple[str, ...]

    @classmethod
    def read(cls, idp_url: str) -> Binding | None:
        path = _folder(idp_url) / BINDING
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(idp_url=data["idp_url"], tuf_url=data["tuf_url"], root_keys=tuple(data["root_keys"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClientError(f"The stored trust for {shown(idp_url)} ({path}) is damaged; run "
                              f"'hallmark trust --replace {shown(idp_url)} root.json'.") from exc

    def write(self) -> None:
        path = _folder(self.idp_url) / BINDING
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"idp_url": self.idp_url, "tuf_url": self.tuf_url,
                                    "root_keys": list(self.root_keys)}, indent=2))


def tuf_url_of(idp_url: str) -> str:
    """The TUF repository a Hallmark advertises in its discovery document (read at trust time only)."""
    url = f"{idp_url}/.well-known/openid-configuration"
    try:
        reply = requests.get(url, timeout=10, allow_redirects=False, stream=True)
        body = reply.raw.read(MAX_DISCOVERY_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise unreachable(url, exc) from exc
    if reply.is_redirect:
        raise ClientError(f"{shown(url)} redirects elsewhere; trust is only taken from the identity provider itself.")
    if reply.status_code != 200:
        raise ClientError(f"{shown(url)} answered HTTP {reply.status_code}. Is {shown(idp_url)} a Hallmark?")
    if len(body) > MAX_DISCOVERY_BYTES:
        raise ClientError(f"{shown(url)} is larger than a discovery document can be.")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ClientError(f"{shown(url)} is not JSON. Is {shown(idp_url)} a Hallmark?") from exc
    if not isinstance(document, dict):
        raise ClientError(f"{shown(url)} is not a discovery document (a JSON object).")
    if "hallmark_tuf_url" not in document:
        raise ClientError(f"{shown(idp_url)} does not advertise a TUF repository (no hallmark_tuf_url in discovery).")
    return check_url(document["hallmark_tuf_url"], "The discovery document's hallmark_tuf_url")


def root_keys(root_json: bytes) -> tuple[str, ...]:
    """``keytype keyid`` of every key the root lists, for the person to compare with what their
    community published."""
    try:
        root = Metadata[Root].from_bytes(root_json).signed
    except Exception as exc:  # python-tuf raises several types for a malformed root
        raise UsageError(f"That file is not a TUF root.json ({exc.__class__.__name__}).") from exc
    if not isinstance(root, Root):
        raise UsageError("That file is TUF metadata, but not a root.json.")
    return tuple(sorted(f"{key.keytype} {keyid}" for keyid, key in root.keys.items()))


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


def _fetch(idp_url: str, tuf_url: str, bootstrap: bytes | None) -> ClientTrustConfig:
    metadata_dir, targets_dir = _folder(idp_url) / "metadata", _cache(idp_url) / "targets"
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
                raise ClientError(f"{shown(tuf_url)} does not publish {name}.")
            path = updater.find_cached_target(info) or updater.download_target(info)
            documents[name] = json.loads(Path(path).read_text())
    except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
        raise ClientError(f"Refusing the trust metadata from {shown(tuf_url)}: {_explain(exc)}.") from exc
    except ValueError as exc:
        raise ClientError(f"{shown(tuf_url)} publishes a trust file that is not JSON.") from exc
    config = {"mediaType": CLIENT_TRUST_CONFIG, "trustedRoot": documents["trusted_root.json"],
              "signingConfig": documents["signing_config.v0.2.json"]}
    try:
        return ClientTrustConfig.from_json(json.dumps(config))
    except Exception as exc:  # sigstore raises several types for malformed documents
        raise ClientError(f"{shown(tuf_url)} publishes an unusable trust root: {exc}") from exc


@dataclass(frozen=True)
class Trusted:
    """The outcome of ``hallmark trust``: the binding, and what it replaced (if anything)."""

    binding: Binding
    replaced: Binding | None
    unchanged: bool


def trust(idp_url: str, root_json: Path, *, replace: bool = False) -> Trusted:
    """Bind ``idp_url`` to the repository its discovery document names, bootstrapped from ``root_json``."""
    idp_url = check_url(idp_url, "The identity provider URL")
    try:
        bootstrap = root_json.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {shown(root_json)}: {exc.strerror}.") from exc
    keys = root_keys(bootstrap)
    binding = Binding(idp_url=idp_url, tuf_url=tuf_url_of(idp_url), root_keys=keys)
    existing = Binding.read(idp_url)
    if existing == binding:
        _fetch(idp_url, binding.tuf_url, None)           # already trusted: just bring it up to date
        return Trusted(binding, None, unchanged=True)
    if existing is not None and not replace:
        changes = []
        if existing.tuf_url != binding.tuf_url:
            changes.append(f"its repository from {shown(existing.tuf_url)} to {shown(binding.tuf_url)}")
        if existing.root_keys != binding.root_keys:
            changes.append("its root keys")
        raise UsageError(f"This machine already trusts {shown(idp_url)}; this would change {' and '.join(changes)}. "
                         "If your community announced the change, run again with --replace.")
    if existing is not None:
        shutil.rmtree(_folder(idp_url) / "metadata", ignore_errors=True)
        shutil.rmtree(_cache(idp_url), ignore_errors=True)
    _fetch(idp_url, binding.tuf_url, bootstrap)
    binding.write()
    return Trusted(binding, existing, unchanged=False)


def trust_config_from(idp_url: str) -> ClientTrustConfig:
    """Update from the repository bound to ``idp_url`` (see :func:`trust`) and return its trust config."""
    idp_url = check_url(idp_url, "--idp")
    binding = Binding.read(idp_url)
    if binding is None:
        raise UsageError(f"This machine does not trust {shown(idp_url)} yet: run 'hallmark trust {shown(idp_url)} "
                         "root.json' with the root.json your community published.")
    return _fetch(idp_url, binding.tuf_url, None)
