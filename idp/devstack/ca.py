"""The Fulcio-compatible certificate authority: root → intermediate → 10-minute leaf with embedded SCT."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from idp.common import der
from idp.common.tlog_tiles import static_ct_leaf
from idp.devstack.ctlog import CTLog, sct_list
from idp.devstack.keyfiles import load_certificate, load_or_create_key, spki_der
from idp.devstack.tokens import Principal

LEAF_LIFETIME = timedelta(minutes=10)
OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_OTHERNAME_SAN = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SUBJECT = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.24")
OID_EMBEDDED_SCT = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
ORGANIZATION = "Hallmark devstack"


class RequestRejected(ValueError):
    """A certificate request is malformed or its proof of possession fails (HTTP 400)."""


@dataclass(frozen=True)
class IssuedCertificate:
    leaf: x509.Certificate
    chain: list[x509.Certificate]          # direct issuer first, root last

    def pem_chain(self) -> list[str]:
        return [c.public_bytes(serialization.Encoding.PEM).decode() for c in [self.leaf, *self.chain]]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_certificate(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                    signing_key: ec.EllipticCurvePrivateKey, path_length: int,
                    issuer_public_key: ec.EllipticCurvePublicKey, not_before: datetime,
                    code_signing_eku: bool) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(not_before)
               .not_valid_after(not_before + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False))
    if code_signing_eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


class CertificateAuthority:
    """Root and intermediate CA keys plus the CT log, kept in ``folder``."""

    def __init__(self, root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate,
                 intermediate_key: ec.EllipticCurvePrivateKey, intermediate: x509.Certificate, ct: CTLog):
        self.root_key, self.root = root_key, root
        self.intermediate_key, self.intermediate = intermediate_key, intermediate
        self.ct = ct

    @classmethod
    def load_or_create(cls, folder: Path) -> CertificateAuthority:
        root_key = load_or_create_key(folder / "ca-root.key")
        inter_key = load_or_create_key(folder / "ca-intermediate.key")
        ct = CTLog(load_or_create_key(folder / "ctlog.key"))
        root_path, inter_path = folder / "ca-root.crt", folder / "ca-intermediate.crt"
        if not root_path.exists() or not inter_path.exists():
            not_before = datetime.now(UTC) - timedelta(days=1)
            root_name, inter_name = _name("hallmark-devstack-root"), _name("hallmark-devstack-intermediate")
            root = _ca_certificate(root_name, root_name, root_key.public_key(), root_key, 1,
                                   root_key.public_key(), not_before, code_signing_eku=False)
            inter = _ca_certificate(inter_name, root_name, inter_key.public_key(), root_key, 0,
                                    root_key.public_key(), not_before, code_signing_eku=True)
            root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
            inter_path.write_bytes(inter.public_bytes(serialization.Encoding.PEM))
        return cls(root_key, load_certificate(root_path), inter_key, load_certificate(inter_path), ct)

    @property
    def chain(self) -> list[x509.Certificate]:
        return [self.intermediate, self.root]

    def issue(self, principal: Principal, public_key: CertificatePublicKeyTypes,
              now: datetime | None = None) -> IssuedCertificate:
        """A Fulcio-profile leaf for ``principal`` with an embedded SCT from the stack's CT log."""
        now = now or datetime.now(UTC)
        san: x509.GeneralName
        if principal.san_kind == "email":
            san = x509.RFC822Name(principal.san_value)
        elif principal.san_kind == "uri":
            san = x509.UniformResourceIdentifier(principal.san_value)
        else:
            san = x509.OtherName(OID_OTHERNAME_SAN, der.utf8_string(principal.san_value))
        builder = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.intermediate.subject)
                   .public_key(public_key).serial_number(int.from_bytes(secrets.token_bytes(20), "big") >> 1)
                   .not_valid_before(now).not_valid_after(now + LEAF_LIFETIME)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.intermediate_key.public_key()), critical=False)
                   .add_extension(x509.SubjectAlternativeName([san]), critical=True)
                   .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V1, principal.issuer.encode()), critical=False)
                   .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V2, der.utf8_string(principal.issuer)),
                                  critical=False)
                   .add_extension(x509.UnrecognizedExtension(OID_SUBJECT, principal.subject.encode()), critical=False))
        precert = builder.sign(self.intermediate_key, hashes.SHA256())
        issuer_key_hash = hashlib.sha256(spki_der(self.intermediate_key.public_key())).digest()
        sct = self.ct.sct_for_precertificate(precert.tbs_certificate_bytes, issuer_key_hash,
                                             int(now.timestamp() * 1000))
        leaf = (builder.add_extension(x509.UnrecognizedExtension(OID_EMBEDDED_SCT, der.octet_string(sct_list(sct))),
                                      critical=False)
                .sign(self.intermediate_key, hashes.SHA256()))
        if self.ct.mirror is not None:
            self.ct.mirror.append(*static_ct_leaf(int(now.timestamp() * 1000), precert.tbs_certificate_bytes,
                                                  precert.public_bytes(serialization.Encoding.DER)))
        return IssuedCertificate(leaf, self.chain)


def public_key_from_csr(b64_pem_csr: str) -> CertificatePublicKeyTypes:
    """The public key of a base64-encoded PEM CSR whose self-signature verifies."""
    try:
        pem = base64.b64decode(b64_pem_csr, validate=True)
        csr = x509.load_pem_x509_csr(pem)
    except ValueError as exc:
        raise RequestRejected("certificateSigningRequest is not base64 of a PEM CSR") from exc
    if not csr.is_signature_valid:
        raise RequestRejected("the CSR's signature does not verify against its public key")
    return _checked_key(csr.public_key())


def public_key_from_pop(public_key_pem: str, proof_b64: str, principal_name: str) -> CertificatePublicKeyTypes:
    """The public key of a ``publicKeyRequest`` whose proof of possession signs ``principal_name``."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        proof = base64.b64decode(proof_b64, validate=True)
    except ValueError as exc:
        raise RequestRejected("publicKey must be a PEM public key and proofOfPossession base64") from exc
    data = principal_name.encode()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(proof, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(proof, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(proof, data)
        else:
            raise RequestRejected("unsupported public key type")
    except InvalidSignature as exc:
        raise RequestRejected(f"proof of possession does not verify: it must sign {principal_name!r}") from exc
    return _checked_key(key)


def _checked_key(key: Any) -> CertificatePublicKeyTypes:
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1", "secp521r1"):
        return key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise RequestRejected("unsupported public key: use ECDSA P-256/384/521, RSA ≥ 2048 or Ed25519")
