"""Which identity a token carries, and the Fulcio configuration that matches it (docs/design.md,
"The Fulcio contract")."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from idp.people.person import IdentityHolder
from idp.platform.config import Settings
from idp.platform.words import _

USERNAME_RE = re.compile(r"[a-z0-9-]{3,32}")
EMAIL_SHAPED = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class IdentityConfigError(ValueError):
    """The deployment's identity settings would be refused by Fulcio."""


def subject_for(user: IdentityHolder, settings: Settings) -> str:
    """The immutable ``sub`` of a user: ``<SubjectDomain>/u/<name>`` (uri), else the name."""
    if settings.identity_mode == "uri":
        return f"{settings.subject_domain}/u/{user.username}"
    return user.username


def username_from_subject(sub: str, settings: Settings) -> str | None:
    """Inverse of :func:`subject_for`; ``None`` when ``sub`` is not one of ours."""
    if settings.identity_mode == "uri":
        prefix = f"{settings.subject_domain}/u/"
        name = sub[len(prefix):] if sub.startswith(prefix) else None
    else:
        name = sub
    return name if name and USERNAME_RE.fullmatch(name) else None


def identity_claims(user: IdentityHolder, settings: Settings) -> dict[str, Any]:
    """The claims a token needs: ``sub``, and in email mode a *proven* email (no name: privacy by default)."""
    claims: dict[str, Any] = {"sub": subject_for(user, settings)}
    if settings.identity_mode == "email" and user.email and user.email_verified_at is not None:
        claims.update(email=user.email, email_verified=True)
    return claims


def signing_identity_missing(user: IdentityHolder, settings: Settings) -> str | None:
    """Why ``user`` cannot get a signing token yet (email mode without a proven address), if so."""
    if settings.identity_mode == "email" and (not user.email or user.email_verified_at is None):
        return _("Your account has no verified email address yet: add one on your account page, then sign again.")
    return None


def _labels_match(subject_host: str, issuer_host: str) -> None:
    if subject_host == issuer_host:
        return
    s, i = subject_host.split("."), issuer_host.split(".")
    if len(s) < 2 or len(i) < 2:
        raise IdentityConfigError(f"hostname too short to compare: {subject_host!r} vs {issuer_host!r}")
    if s[-2:] != i[-2:]:
        raise IdentityConfigError(
            f"SubjectDomain host {subject_host!r} must share its top two DNS labels with the issuer host "
            f"{issuer_host!r}")


def validate_subject_domain(settings: Settings) -> None:
    """Apply Fulcio's SubjectDomain rules for the configured identity mode."""
    domain, issuer = settings.subject_domain, urlsplit(settings.issuer)
    if settings.identity_mode == "email":
        return
    if settings.identity_mode == "uri":
        parts = urlsplit(domain)
        if not parts.scheme or not parts.hostname:
            raise IdentityConfigError(f"SubjectDomain {domain!r} must be a URL with a scheme for identity mode uri")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise IdentityConfigError(f"SubjectDomain {domain!r} must be only a scheme and host")
        if parts.scheme != issuer.scheme:
            raise IdentityConfigError(f"SubjectDomain scheme {parts.scheme!r} must equal the issuer's "
                                      f"{issuer.scheme!r}")
        _labels_match(parts.hostname, issuer.hostname or "")
    else:
        if "://" in domain:
            raise IdentityConfigError(f"SubjectDomain {domain!r} must not contain a scheme for identity mode username")
        _labels_match(domain, issuer.hostname or "")


def fulcio_config(settings: Settings) -> str:
    """The Fulcio ``OIDCIssuers`` JSON for this deployment."""
    validate_subject_domain(settings)
    entry = {"IssuerURL": settings.issuer, "ClientID": "sigstore", "Type": str(settings.identity_mode)}
    if settings.identity_mode != "email":
        entry["SubjectDomain"] = settings.subject_domain
    return json.dumps({"OIDCIssuers": {settings.issuer: entry}}, indent=2)
