"""Reading a Fulcio certificate's identity: every SAN kind decoded properly, and the OIDC issuer."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from pyasn1.error import PyAsn1Error
from sigstore.errors import VerificationError

from ..der import decode_utf8_string

OTHERNAME_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def identities(cert: x509.Certificate) -> set[str]:
    """Emails, URIs and Fulcio username OtherNames (``name!domain``, the UTF8String decoded)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    found = set(san.get_values_for_type(x509.RFC822Name)) | set(san.get_values_for_type(x509.UniformResourceIdentifier))
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == OTHERNAME_OID:
            try:
                found.add(decode_utf8_string(other.value))
            except (PyAsn1Error, ValueError):
                continue
    return found


def issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer recorded by Fulcio (.1.8 UTF8String, else the raw .1.1 bytes)."""
    for oid in (ISSUER_V2, ISSUER_V1):
        try:
            raw = cert.extensions.get_extension_for_oid(oid).value.value
        except x509.ExtensionNotFound:
            continue
        if oid == ISSUER_V2:
            try:
                return decode_utf8_string(raw)
            except (PyAsn1Error, ValueError):
                continue
        return raw.decode("utf-8", "replace")
    return None


class IdentityPolicy:
    """A sigstore ``VerificationPolicy``: the certificate names ``identity`` and was issued for ``issuer``."""

    def __init__(self, *, identity: str, issuer: str):
        self.identity, self.issuer = identity, issuer

    def verify(self, cert: x509.Certificate) -> None:
        actual_issuer = issuer(cert)
        if actual_issuer != self.issuer:
            raise VerificationError(f"signed through issuer {actual_issuer!r}, not {self.issuer!r}")
        names = identities(cert)
        if self.identity not in names:
            raise VerificationError(f"signed by {', '.join(sorted(names)) or 'no identity'}, not {self.identity}")


class AnyIdentity:
    """Accepts any identity (the caller decides afterwards, e.g. a k-of-n signer policy)."""

    def verify(self, cert: x509.Certificate) -> None:
        return None
