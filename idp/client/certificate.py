"""Reading a Fulcio certificate's identity: every SAN kind decoded properly, and the OIDC issuer."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from pyasn1.error import PyAsn1Error
from sigstore.errors import VerificationError

from idp.client.names import Name
from idp.common.der import decode_utf8_string

OTHERNAME_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


class CertificateError(VerificationError):
    """The certificate says contradictory things about who or where it is from."""


def names(cert: x509.Certificate) -> set[Name]:
    """Emails, URIs and Fulcio username OtherNames (``name!domain``, the UTF8String decoded), each
    with its kind."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    found = {Name("email", v) for v in san.get_values_for_type(x509.RFC822Name)}
    found |= {Name("uri", v) for v in san.get_values_for_type(x509.UniformResourceIdentifier)}
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == OTHERNAME_OID:
            try:
                found.add(Name("username", decode_utf8_string(other.value)))
            except (PyAsn1Error, ValueError):
                continue
    return found


def identities(cert: x509.Certificate) -> set[str]:
    """The identities' texts (see :func:`names`)."""
    return {name.value for name in names(cert)}


def _extension(cert: x509.Certificate, oid: ObjectIdentifier) -> bytes | None:
    """The raw value of the unrecognised extension ``oid`` (Fulcio's own OIDs), if the certificate has it."""
    try:
        extension = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    return extension.value if isinstance(extension, x509.UnrecognizedExtension) else None


def issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer recorded by Fulcio: the .1.8 UTF8String and the older raw .1.1 bytes. When
    both are present they must agree; a certificate that names two issuers is refused."""
    v2, v1 = _extension(cert, ISSUER_V2), _extension(cert, ISSUER_V1)
    decoded_v2 = None
    if v2 is not None:
        try:
            decoded_v2 = decode_utf8_string(v2)
        except (PyAsn1Error, ValueError) as exc:
            raise CertificateError("the certificate's issuer extension (1.3.6.1.4.1.57264.1.8) is malformed") from exc
    decoded_v1 = v1.decode("utf-8", "replace") if v1 is not None else None
    if decoded_v2 is not None and decoded_v1 is not None and decoded_v2 != decoded_v1:
        raise CertificateError(f"the certificate names two issuers ({decoded_v2!r} in 1.3.6.1.4.1.57264.1.8, "
                               f"{decoded_v1!r} in .1.1)")
    return decoded_v2 if decoded_v2 is not None else decoded_v1


class IdentityPolicy:
    """A sigstore ``VerificationPolicy``: the certificate names ``identity`` (of the same kind) and was
    issued for ``issuer``."""

    def __init__(self, *, identity: Name, issuer: str):
        self.identity, self.issuer = identity, issuer

    def verify(self, cert: x509.Certificate) -> None:
        actual_issuer = issuer(cert)
        if actual_issuer != self.issuer:
            raise VerificationError(f"signed through issuer {actual_issuer!r}, not {self.issuer!r}")
        found = names(cert)
        if self.identity not in found:
            shown = ", ".join(sorted(n.value for n in found)) or "no identity"
            raise VerificationError(f"signed by {shown}, not {self.identity.value} (a {self.identity.kind} identity)")


class AnyIdentity:
    """Accepts any identity (the caller decides afterwards, e.g. a k-of-n signer policy), but not a
    certificate that names two issuers."""

    def verify(self, cert: x509.Certificate) -> None:
        issuer(cert)
