"""Fulcio's own configuration format: ``{"OIDCIssuers": {"<url>": {...}}}``, in JSON or YAML."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

TYPES = ("email", "username", "uri")


class FulcioConfigError(ValueError):
    """The Fulcio configuration file is unusable; the message says why."""


@dataclass(frozen=True)
class OIDCIssuer:
    issuer_url: str
    client_id: str
    type: str
    subject_domain: str = ""


@dataclass(frozen=True)
class FulcioConfig:
    issuers: dict[str, OIDCIssuer]

    @classmethod
    def parse(cls, text: str) -> FulcioConfig:
        """Parse JSON or YAML text in Fulcio's format."""
        try:
            data = json.loads(text)
        except ValueError:
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise FulcioConfigError(f"not JSON or YAML: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("OIDCIssuers"), dict):
            raise FulcioConfigError("expected a mapping with an 'OIDCIssuers' mapping")
        issuers = {}
        for url, entry in data["OIDCIssuers"].items():
            if not isinstance(entry, dict):
                raise FulcioConfigError(f"issuer {url!r}: expected a mapping")
            issuer = OIDCIssuer(issuer_url=entry.get("IssuerURL", url), client_id=entry.get("ClientID", ""),
                                type=entry.get("Type", ""), subject_domain=entry.get("SubjectDomain", ""))
            if issuer.type not in TYPES:
                raise FulcioConfigError(f"issuer {url!r}: Type must be one of {', '.join(TYPES)}")
            if not issuer.client_id:
                raise FulcioConfigError(f"issuer {url!r}: ClientID is required")
            if issuer.type in ("username", "uri") and not issuer.subject_domain:
                raise FulcioConfigError(f"issuer {url!r}: SubjectDomain is required for Type {issuer.type}")
            if issuer.type == "uri" and not urlsplit(issuer.subject_domain).scheme:
                raise FulcioConfigError(f"issuer {url!r}: SubjectDomain must have a scheme for Type uri")
            if issuer.type == "username" and "://" in issuer.subject_domain:
                raise FulcioConfigError(f"issuer {url!r}: SubjectDomain must not have a scheme for Type username")
            issuers[url] = issuer
        return cls(issuers)

    @classmethod
    def load(cls, path: Path) -> FulcioConfig:
        try:
            return cls.parse(Path(path).read_text())
        except OSError as exc:
            raise FulcioConfigError(f"cannot read {path}: {exc.strerror}") from exc
