"""Typed settings read from ``HALLMARK_*`` environment variables and validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from idp.common.hosts import is_loopback_host


class IdentityMode(StrEnum):
    """Which identity a signing certificate carries (docs/design.md, "The Fulcio contract")."""

    URI = "uri"             # https://id.example.org/u/alice: the default, verifies with every stock client
    USERNAME = "username"   # alice!id.example.org in an OtherName SAN
    EMAIL = "email"         # a proven email address


IDENTITY_MODES = tuple(mode.value for mode in IdentityMode)
MAX_BODY = 64 * 1024          # bytes: larger request bodies are refused with 413
ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")    # the words a yes/no setting takes


class ConfigError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def require_strong(name: str, value: str) -> str:
    """``value`` if it is strong enough to be a secret (:mod:`idp.platform.secret_strength`), else a
    :class:`ConfigError` naming ``name`` and how to make a good one (finding F4)."""
    from idp.platform.secret_strength import weakness

    reason = weakness(value)
    if reason:
        raise ConfigError(f"{name} is refused: {reason}. Generate one with "
                          "python3 -c \"import secrets; print(secrets.token_urlsafe(48))\", "
                          "or leave it unset and Hallmark keeps its own in the instance folder.")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything Hallmark needs to know about its deployment."""

    issuer: str = "http://localhost:8080"
    instance_path: Path = Path("instance")
    database_url: str = ""
    rp_id: str = ""
    rp_name: str = "Hallmark"
    origin: str = ""
    identity_mode: IdentityMode = IdentityMode.URI
    subject_domain: str = ""
    token_lifetime: int = 600
    signing_record_days: int = 396          # about 13 months: what the identity monitor can match against
    monitor_clock_skew: int = 60            # seconds a certificate may lie outside its token's validity
    code_lifetime: int = 60
    challenge_lifetime: int = 300
    invite_lifetime: int = 86400
    device_code_lifetime: int = 600
    device_poll_interval: int = 5
    key_passphrase: str | None = None
    fresh_touch_for_signing: bool = True
    hardware_bound_only: bool = False       # refuse synced passkeys (backup-eligible credentials) at enrollment
    mds_blob: str = ""                      # the FIDO metadata BLOB (docs/attestation.md)
    mds_root: str = ""                      # the root certificate its signature must chain to
    attestation_required: bool = False      # refuse keys that do not prove their model
    allowed_aaguids: tuple[str, ...] = ()   # only these models (implies attestation_required)
    allow_oob: bool = True
    trusted_proxies: tuple[str, ...] = ()
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = False
    email_link_lifetime: int = 3600
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin: str = ""
    ratelimit_storage: str = "database"
    ratelimit_login: str = "30 per minute"
    ratelimit_token: str = "60 per minute"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer_host(self) -> str:
        return urlsplit(self.issuer).hostname or ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from the environment (``HALLMARK_*``), then apply ``overrides``."""
        env = dict(os.environ if env is None else env)

        def get(name: str, default: str | None = None) -> str | None:
            return env.get(f"HALLMARK_{name}", default)

        def text(name: str) -> str:
            return env.get(f"HALLMARK_{name}") or ""

        def switch(name: str, key: str, *, default_on: bool = False) -> None:
            """A yes/no setting: ``1``/``true``/``yes``/``on`` turn a default-off one on, ``0``/``false``/
            ``no``/``off`` turn a default-on one off."""
            raw = get(name)
            if raw is not None:
                values[key] = raw.lower() not in OFF if default_on else raw.lower() in ON

        values: dict[str, Any] = {}
        for key, name in [
            ("issuer", "ISSUER"),
            ("database_url", "DATABASE_URL"),
            ("rp_id", "RP_ID"),
            ("rp_name", "RP_NAME"),
            ("origin", "ORIGIN"),
            ("identity_mode", "IDENTITY"),
            ("subject_domain", "SUBJECT_DOMAIN"),
            ("key_passphrase", "KEY_PASSPHRASE"),
            ("ratelimit_storage", "RATELIMIT_STORAGE"),
            ("ratelimit_login", "RATELIMIT_LOGIN"),
            ("ratelimit_token", "RATELIMIT_TOKEN"),
            ("smtp_host", "SMTP_HOST"),
            ("smtp_user", "SMTP_USER"),
            ("smtp_from", "SMTP_FROM"),
            ("mds_blob", "MDS_BLOB"),
            ("mds_root", "MDS_ROOT"),
        ]:
            if get(name) is not None:
                values[key] = get(name)
        if get("KEY_PASSPHRASE") is not None:
            require_strong("HALLMARK_KEY_PASSPHRASE", text("KEY_PASSPHRASE"))
        if get("INSTANCE"):
            values["instance_path"] = Path(text("INSTANCE"))
        for key, name in [("token_lifetime", "TOKEN_LIFETIME"), ("code_lifetime", "CODE_LIFETIME"),
                          ("device_poll_interval", "DEVICE_POLL_INTERVAL")]:
            raw = get(name)
            if raw is not None:
                if not raw.isdigit() or int(raw) <= 0:
                    raise ConfigError(f"HALLMARK_{name} must be a positive number of seconds, got {raw!r}")
                values[key] = int(raw)
        if (raw := get("MONITOR_CLOCK_SKEW")) is not None:
            if not raw.isdigit() or int(raw) > 3600:
                raise ConfigError(f"HALLMARK_MONITOR_CLOCK_SKEW must be 0-3600 seconds, got {raw!r}")
            values["monitor_clock_skew"] = int(raw)
        if (raw := get("SIGNING_RECORD_DAYS")) is not None:
            if not raw.isdigit() or int(raw) <= 0:
                raise ConfigError(f"HALLMARK_SIGNING_RECORD_DAYS must be a positive number of days, got {raw!r}")
            values["signing_record_days"] = int(raw)
        if get("SMTP_PORT"):
            if not text("SMTP_PORT").isdigit():
                raise ConfigError(f"HALLMARK_SMTP_PORT must be a port number, got {get('SMTP_PORT')!r}")
            values["smtp_port"] = int(text("SMTP_PORT"))
        if get("SMTP_PASSWORD_FILE"):
            try:
                values["smtp_password"] = Path(text("SMTP_PASSWORD_FILE")).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"cannot read HALLMARK_SMTP_PASSWORD_FILE: {exc.strerror}") from exc
        switch("SMTP_STARTTLS", "smtp_starttls")
        if get("PKCS11_MODULE"):
            values["pkcs11_module"] = get("PKCS11_MODULE")
            values["pkcs11_token_label"] = get("PKCS11_TOKEN_LABEL", "hallmark")
            if not get("PKCS11_PIN_FILE"):
                raise ConfigError("HALLMARK_PKCS11_MODULE needs HALLMARK_PKCS11_PIN_FILE (a file holding the user PIN)")
            try:
                values["pkcs11_pin"] = Path(text("PKCS11_PIN_FILE")).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"cannot read HALLMARK_PKCS11_PIN_FILE: {exc.strerror}") from exc
        if get("REDIS_URL") and not get("RATELIMIT_STORAGE"):
            values["ratelimit_storage"] = get("REDIS_URL")
        switch("ALLOW_OOB", "allow_oob", default_on=True)
        if get("TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(p.strip() for p in text("TRUSTED_PROXIES").split(",") if p.strip())
        switch("HARDWARE_BOUND_ONLY", "hardware_bound_only")
        switch("ATTESTATION_REQUIRED", "attestation_required")
        if get("ALLOWED_AAGUIDS"):
            values["allowed_aaguids"] = tuple(a.strip().lower() for a in text("ALLOWED_AAGUIDS").split(",")
                                              if a.strip())
        switch("FRESH_TOUCH_FOR_SIGNING", "fresh_touch_for_signing", default_on=True)
        values.update(overrides)
        return cls(**values).resolved()

    def resolved(self) -> Settings:
        """Validate, then fill the values derived from the issuer."""
        issuer = self.issuer
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"HALLMARK_ISSUER must be an http(s) URL, got {issuer!r}")
        if parts.query or parts.fragment:
            raise ConfigError("HALLMARK_ISSUER must not have a query or fragment")
        if issuer.endswith("/"):
            raise ConfigError("HALLMARK_ISSUER must not end with '/': tokens and discovery must match it byte for byte")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ConfigError(
                f"HALLMARK_ISSUER {issuer!r} uses http:// on a non-loopback host; use https:// "
                "(plain http is only allowed for localhost development)"
            )
        if self.identity_mode not in IDENTITY_MODES:
            raise ConfigError(f"HALLMARK_IDENTITY must be one of {', '.join(IDENTITY_MODES)}, "
                              f"got {self.identity_mode!r}")
        origin = self.origin or f"{parts.scheme}://{parts.netloc}"
        rp_id = self.rp_id or parts.hostname
        origin_host = urlsplit(origin).hostname or ""
        if not (origin_host == rp_id or origin_host.endswith("." + rp_id)):
            raise ConfigError(f"HALLMARK_RP_ID {rp_id!r} must equal or be a parent domain of the origin host "
                              f"{origin_host!r}")
        mode = IdentityMode(self.identity_mode)
        if mode == IdentityMode.URI:
            subject_domain = self.subject_domain or f"{parts.scheme}://{parts.netloc}"
        elif mode == IdentityMode.USERNAME:
            subject_domain = self.subject_domain or parts.hostname
        else:
            subject_domain = ""
            if not self.smtp_host:
                raise ConfigError("HALLMARK_IDENTITY=email needs HALLMARK_SMTP_HOST to send verification links")
        instance = Path(self.instance_path).resolve()
        database_url = self.database_url or f"sqlite:///{instance / 'hallmark.db'}"
        if self.token_lifetime > 3600:
            raise ConfigError("HALLMARK_TOKEN_LIFETIME must be at most 3600 seconds: signing tokens are short-lived")
        if not re.fullmatch(r"[A-Za-z0-9 ._-]{1,64}", self.rp_name):
            raise ConfigError("HALLMARK_RP_NAME must be 1-64 plain characters")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(f"HALLMARK_TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from None
        self._check_attestation_policy()
        return replace(self, identity_mode=mode, origin=origin, rp_id=rp_id, subject_domain=subject_domain,
                        instance_path=instance, database_url=database_url)


    def _check_attestation_policy(self) -> None:
        for aaguid in self.allowed_aaguids:
            if not AAGUID.fullmatch(aaguid):
                raise ConfigError(f"HALLMARK_ALLOWED_AAGUIDS: {aaguid!r} is not an AAGUID "
                                  "(like cb69481e-8ff7-4039-93ec-0a2729a154a8)")
        if bool(self.mds_blob) != bool(self.mds_root):
            raise ConfigError("HALLMARK_MDS_BLOB and HALLMARK_MDS_ROOT go together: the BLOB is trusted only "
                              "when its signature chains to the FIDO root certificate")
        wants = ("HALLMARK_ALLOWED_AAGUIDS" if self.allowed_aaguids
                 else "HALLMARK_ATTESTATION_REQUIRED" if self.attestation_required else "")
        if wants and not self.mds_blob:
            raise ConfigError(f"{wants} needs HALLMARK_MDS_BLOB and HALLMARK_MDS_ROOT: a key's model is known "
                              "only when its attestation chains to that model's root in the FIDO metadata")


AAGUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def settings() -> Settings:
    """The running app's validated ``HALLMARK_*`` settings (inside a request or app context)."""
    from flask import current_app  # here, so that the CLI's help and the client import no Flask

    found: Settings = current_app.extensions["hallmark"]
    return found


# Every HALLMARK_* variable Hallmark reads. Settings.from_env reads the server's settings; the few read
# elsewhere (by gunicorn's configuration, the CLI's options, the stack's binaries) go through
# ``environment`` below, which refuses a name missing here. README.md lists each one.
VARIABLES = frozenset({
    "HALLMARK_ISSUER", "HALLMARK_INSTANCE", "HALLMARK_DATABASE_URL", "HALLMARK_RP_ID", "HALLMARK_RP_NAME",
    "HALLMARK_ORIGIN", "HALLMARK_IDENTITY", "HALLMARK_SUBJECT_DOMAIN", "HALLMARK_KEY_PASSPHRASE",
    "HALLMARK_SECRET_KEY", "HALLMARK_TOKEN_LIFETIME", "HALLMARK_CODE_LIFETIME", "HALLMARK_DEVICE_POLL_INTERVAL",
    "HALLMARK_SIGNING_RECORD_DAYS", "HALLMARK_MONITOR_CLOCK_SKEW",
    "HALLMARK_ALLOW_OOB", "HALLMARK_HARDWARE_BOUND_ONLY", "HALLMARK_MDS_BLOB", "HALLMARK_MDS_ROOT",
    "HALLMARK_ATTESTATION_REQUIRED", "HALLMARK_ALLOWED_AAGUIDS", "HALLMARK_FRESH_TOUCH_FOR_SIGNING",
    "HALLMARK_TRUSTED_PROXIES", "HALLMARK_RATELIMIT_STORAGE", "HALLMARK_RATELIMIT_LOGIN", "HALLMARK_RATELIMIT_TOKEN",
    "HALLMARK_REDIS_URL", "HALLMARK_SMTP_HOST", "HALLMARK_SMTP_PORT", "HALLMARK_SMTP_USER",
    "HALLMARK_SMTP_PASSWORD_FILE", "HALLMARK_SMTP_FROM", "HALLMARK_SMTP_STARTTLS", "HALLMARK_PKCS11_MODULE",
    "HALLMARK_PKCS11_TOKEN_LABEL", "HALLMARK_PKCS11_PIN_FILE",
    # read outside Settings, through environment():
    "HALLMARK_BIND", "HALLMARK_WORKERS", "HALLMARK_THREADS", "HALLMARK_WORKER_CLASS", "HALLMARK_ACCESS_LOG",
    "HALLMARK_BACKUP_PASSPHRASE", "HALLMARK_HOME", "HALLMARK_SIGSTORE_BIN",
    # the CLI's option defaults (click reads them by these names):
    "HALLMARK_TRUST_CONFIG", "HALLMARK_IDP", "HALLMARK_DEV_STACK",
})


def environment(name: str, default: str | None = None) -> str | None:
    """The value of ``HALLMARK_*`` variable ``name`` (``default`` when unset); only names in
    :data:`VARIABLES` may be read, so that the list and the README stay complete."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a Hallmark setting: add it to VARIABLES and to the README")
    return os.environ.get(name, default)
