"""Where the stack keeps its files (``<instance>/stack/``) and the settings ``init`` chose, which
``up`` and ``status`` read back from ``stack.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

FILENAME = "stack.json"
SERVICES = ("tesseract", "rekor", "tsa", "fulcio")       # start order: Fulcio needs its CT log up


class StackConfigError(ValueError):
    """``stack.json`` is missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class Ports:
    """The servers' ports: four public ones and four internal (gRPC, metrics) that must not collide."""

    fulcio: int = 5555
    tesseract: int = 6962
    rekor: int = 3000
    tsa: int = 3004
    rekor_grpc: int = 3001
    fulcio_grpc: int = 5554
    fulcio_metrics: int = 2113
    rekor_metrics: int = 2114

    @classmethod
    def from_base(cls, base: int) -> Ports:
        """Eight consecutive ports from ``base``: Fulcio, TesseraCT, Rekor, TSA, then the internal ones."""
        return cls(*(base + offset for offset in range(len(fields(cls)))))

    def public(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SERVICES}


@dataclass(frozen=True)
class StackConfig:
    """What ``hallmark stack init`` decided; the servers' flags and the trust root follow from it."""

    issuer: str
    host: str = "127.0.0.1"
    public_host: str = "localhost"
    ports: Ports = field(default_factory=Ports)
    organization: str = "Hallmark"
    checkpoint_interval: str = "1s"
    public_urls: dict[str, str] = field(default_factory=dict)     # behind a TLS proxy: service → https URL
    ca_custody: str = "file"             # "file" (encrypted PKCS#8) or "pkcs11" (the key in Hallmark's token)
    ca_key_label: str = "hallmark-fulcio-ca"

    def url(self, service: str) -> str:
        """Where signers and verifiers reach ``service``: its public URL when one was given."""
        return self.public_urls.get(service) or f"http://{self.public_host}:{getattr(self.ports, service)}"

    @property
    def ct_prefix(self) -> str:
        return "hallmark-ct"

    @property
    def ct_url(self) -> str:
        """Where Fulcio submits pre-certificates (TesseraCT's submission prefix)."""
        return f"{self.url('tesseract')}/{self.ct_prefix}"

    @property
    def ct_origin(self) -> str:
        """The CT log's checkpoint origin: host and prefix of its submission URL. TesseraCT refuses a
        ``host:port`` origin (it reads ``host`` as a URL scheme), so the port is left out."""
        return f"{urlsplit(self.url('tesseract')).hostname}/{self.ct_prefix}"

    @property
    def rekor_origin(self) -> str:
        """The Rekor v2 checkpoint origin (rekor-server's ``--hostname``). sigstore-go (cosign) checks
        checkpoints against the *host name* of the log's ``baseUrl``, without the port; so that it is."""
        return urlsplit(self.url("rekor")).hostname or self.public_host

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackConfig:
        data = json.loads(text)
        return cls(**{**data, "ports": Ports(**data.get("ports", {}))})

    def check(self) -> None:
        """Public URLs name known services and are http(s) URLs without a path, query or fragment;
        the CA's key is in a file or a PKCS#11 token."""
        from idp.common.hosts import is_loopback_host

        if not is_loopback_host(self.host) and is_loopback_host(self.public_host) and \
                set(self.public_urls) != set(SERVICES):
            raise StackConfigError(f"--host {self.host} lets others reach the servers, but their URLs would name "
                                   f"{self.public_host}: give --public-host NAME or a --public-url for each server")
        if self.ca_custody not in ("file", "pkcs11"):
            raise StackConfigError(f"the CA key custody is 'file' or 'pkcs11', not {self.ca_custody!r}")
        for name, url in self.public_urls.items():
            parts = urlsplit(url)
            if name not in SERVICES:
                raise StackConfigError(f"--public-url {name}=…: the services are {', '.join(SERVICES)}")
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") \
                    or parts.query or parts.fragment:
                raise StackConfigError(f"--public-url {name}={url}: give a scheme and host only, "
                                       "e.g. https://rekor.example.org")


@dataclass(frozen=True)
class Layout:
    """The stack's folder and every file in it (private keys 0600, created once by ``init``)."""

    folder: Path

    config = property(lambda self: self.folder / FILENAME)
    passphrase = property(lambda self: self.folder / "secrets" / "passphrase")
    fulcio_config = property(lambda self: self.folder / "fulcio" / "config.json")
    fulcio_key = property(lambda self: self.folder / "fulcio" / "ca.key.pem")         # the intermediate's, encrypted
    fulcio_chain = property(lambda self: self.folder / "fulcio" / "ca-chain.pem")     # intermediate, then root
    fulcio_issuing = property(lambda self: self.folder / "fulcio" / "issuing-ca.pem")  # pkcs11: the intermediate
    crypto11 = property(lambda self: self.folder / "secrets" / "crypto11.json")       # pkcs11: module, token, PIN
    ct_key = property(lambda self: self.folder / "tesseract" / "log.key.pem")
    ct_public = property(lambda self: self.folder / "tesseract" / "log.pub.pem")
    ct_roots = property(lambda self: self.folder / "tesseract" / "roots.pem")         # Fulcio's root
    rekor_key = property(lambda self: self.folder / "rekor" / "checkpoint.key.pem")   # Ed25519
    tsa_key = property(lambda self: self.folder / "tsa" / "signer.key.pem")           # encrypted
    tsa_chain = property(lambda self: self.folder / "tsa" / "chain.pem")              # leaf, then root
    trusted_root = property(lambda self: self.folder / "trusted_root.json")
    signing_config = property(lambda self: self.folder / "signing_config.v0.2.json")
    trust_config = property(lambda self: self.folder / "trust_config.json")           # both, for --trust-config

    def log(self, service: str) -> Path:
        return self.folder / "logs" / f"{service}.log"

    def storage(self, service: str) -> Path:
        return self.folder / "data" / service

    def load(self) -> StackConfig:
        try:
            return StackConfig.from_json(self.config.read_text())
        except FileNotFoundError:
            raise StackConfigError(f"no stack in {self.folder}: run 'hallmark stack init' first") from None
        except (OSError, ValueError, TypeError) as exc:
            raise StackConfigError(f"{self.config} is unusable ({exc}); move the folder away and run "
                                   "'hallmark stack init' again") from exc
