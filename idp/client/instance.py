"""Which Sigstore instance to use: one place that resolves trust (``--trust-config`` today, TUF later)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sigstore.errors import Error as SigstoreError
from sigstore.models import ClientTrustConfig

from idp.client import ClientError, UsageError


@dataclass(frozen=True)
class Instance:
    """A resolved instance: its trust config and the identity provider it names."""

    trust_config: ClientTrustConfig
    source: str

    @property
    def oidc_url(self) -> str | None:
        """The first identity provider in the signing config (Hallmark's issuer)."""
        try:
            return self.trust_config.signing_config.get_oidc_url()
        except SigstoreError:
            return None


def resolve(trust_config: str | None, idp: str | None = None) -> Instance:
    """Load the instance from ``--trust-config FILE`` or, with ``--idp URL``, from its TUF repository."""
    if trust_config and idp:
        raise UsageError("Give either --trust-config or --idp, not both.")
    if idp:
        from idp.client.tufclient import trust_config_from

        resolved = Instance(trust_config_from(idp), idp.rstrip("/"))
        named = resolved.oidc_url
        if named and named.rstrip("/") != idp.rstrip("/"):
            raise ClientError(f"--idp {idp}: its repository names {named} as the identity provider; tokens "
                              "would go to another provider than the one you named.")
        return resolved
    if not trust_config:
        raise UsageError("No Sigstore instance given: pass --idp URL (after 'hallmark trust URL root.json') or "
                         "--trust-config FILE (the file 'hallmark devstack' prints).")
    path = Path(trust_config)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"Cannot read the trust config {path}: {exc.strerror}.") from exc
    try:
        return Instance(ClientTrustConfig.from_json(text), str(path))
    except Exception as exc:  # sigstore raises several types for malformed trust configs
        raise UsageError(f"{path} is not a valid Sigstore client trust config: {summary(exc)}. Use the file "
                         "'hallmark devstack' or 'hallmark dev' prints, or --idp URL.") from exc


def summary(exc: Exception) -> str:
    """The first problem of a validation error, as ``field: message``, without pydantic's web links."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "the document"
            return f"{where}: {first.get('msg', 'invalid')}"
        except (IndexError, TypeError, AttributeError):
            pass
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
