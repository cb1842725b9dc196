"""The stack's keys and certificates: the Fulcio CA, the timestamp authority's chain, the logs' keys.

Private keys are written once with mode 0600. The CA and TSA keys are encrypted with the stack's
passphrase (PKCS#8, the format Fulcio and timestamp-server read); the two log keys stay plain,
because TesseraCT reads only an unencrypted SEC 1 key and rekor-server takes its password only on
the command line, where every local user could read it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from idp.platform.secretfiles import write_private

CA_LIFETIME = timedelta(days=3650)
TSA_LIFETIME = timedelta(days=1825)

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def name(organization: str, common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def certificate(subject: x509.Name, key: ec.EllipticCurvePublicKey, *, issuer: x509.Certificate | None,
                issuer_key: ec.EllipticCurvePrivateKey, lifetime: timedelta, path_length: int | None,
                purpose: x509.ObjectIdentifier | None, purpose_critical: bool = False) -> x509.Certificate:
    """A CA certificate (``path_length`` not None) or an end-entity one, signed by ``issuer_key``;
    self-signed when ``issuer`` is None. ``purpose`` is the one extended key usage, if any."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    is_ca = path_length is not None
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject).public_key(key)
               .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + lifetime)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
               .add_extension(_usage(cert_sign=is_ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if purpose is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=purpose_critical)
    return builder.sign(issuer_key, hashes.SHA256())


def ca_chain(organization: str) -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    """Fulcio's CA: a root and an intermediate allowed to issue code-signing certificates.
    Returns the intermediate's key and ``[intermediate, root]``; the root's key is not kept."""
    key = ec.generate_private_key(ec.SECP384R1())
    return key, ca_chain_for(organization, key.public_key())


def ca_chain_for(organization: str, key: ec.EllipticCurvePublicKey) -> list[x509.Certificate]:
    """A root (its key made here and dropped) and an intermediate for ``key``, a key held elsewhere
    (an HSM): ``[intermediate, root]``."""
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = certificate(name(organization, f"{organization} root CA"), root_key.public_key(), issuer=None,
                       issuer_key=root_key, lifetime=CA_LIFETIME, path_length=1, purpose=None)
    intermediate = certificate(name(organization, f"{organization} intermediate CA"), key, issuer=root,
                               issuer_key=root_key, lifetime=CA_LIFETIME, path_length=0,
                               purpose=ExtendedKeyUsageOID.CODE_SIGNING)
    return [intermediate, root]


def tsa_chain(organization: str) -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    """The timestamp authority: a root and a leaf whose only, critical, key usage is timeStamping
    (RFC 3161 §2.3). Returns the leaf's key and ``[leaf, root]``."""
    root_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP256R1())
    root = certificate(name(organization, f"{organization} timestamp root"), root_key.public_key(), issuer=None,
                       issuer_key=root_key, lifetime=CA_LIFETIME, path_length=0, purpose=None)
    leaf = certificate(name(organization, f"{organization} timestamp authority"), key.public_key(), issuer=root,
                       issuer_key=root_key, lifetime=TSA_LIFETIME, path_length=None,
                       purpose=ExtendedKeyUsageOID.TIME_STAMPING, purpose_critical=True)
    return key, [leaf, root]


def write_encrypted_key(path: Path, key: SigningKey, passphrase: str) -> None:
    write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.BestAvailableEncryption(passphrase.encode())))


def write_plain_key(path: Path, key: SigningKey) -> None:
    """SEC 1 for ECDSA (what TesseraCT parses), PKCS#8 for Ed25519 (what rekor-server parses)."""
    form = (serialization.PrivateFormat.TraditionalOpenSSL if isinstance(key, ec.EllipticCurvePrivateKey)
            else serialization.PrivateFormat.PKCS8)
    write_private(path, key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()))


def write_chain(path: Path, chain: list[x509.Certificate]) -> None:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))


def read_chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def spki_pem(key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
