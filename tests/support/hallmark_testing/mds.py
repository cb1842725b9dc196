"""A test FIDO Metadata Service: a root, a BLOB signer under it, attestation CAs for made-up models, and
BLOBs (JWS, RS256 as the FIDO Alliance signs them, signer chain in ``x5c``) listing those models."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import RSAKey

FIDO_AAGUID_EXTENSION = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hallmark Tests")]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _certificate(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca: bool,
                 not_before: datetime | None = None, not_after: datetime | None = None,
                 extensions: list[x509.ExtensionType] | None = None) -> x509.Certificate:
    now = datetime.now(UTC)
    not_after = not_after or now + timedelta(days=3650)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before or min(now, not_after) - timedelta(days=1))
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    for extension in extensions or []:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class Model:
    """A made-up authenticator model: its AAGUID, and the attestation root the BLOB names for it."""

    aaguid: str
    description: str
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey

    def batch_key(self, *, names_aaguid: bool = True) -> tuple[list[bytes], ec.EllipticCurvePrivateKey]:
        """A batch attestation certificate of this model (packed's requirements) and its key; without
        ``names_aaguid`` the certificate carries no AAGUID extension (as U2F-era keys')."""
        key = ec.generate_private_key(ec.SECP256R1())
        aaguid_ext = x509.UnrecognizedExtension(FIDO_AAGUID_EXTENSION,
                                                b"\x04\x10" + uuid.UUID(self.aaguid).bytes)
        leaf = _certificate(_name(f"{self.description} batch", "Authenticator Attestation"), key,
                            self.root.subject, self.root_key, ca=False,
                            extensions=[aaguid_ext] if names_aaguid else [])
        return [der(leaf)], key

    def equip(self, authenticator) -> None:
        """Make a SoftAuthenticator an instance of this model, with full packed attestation."""
        authenticator.aaguid = uuid.UUID(self.aaguid).bytes
        authenticator.attestation = "packed"
        authenticator.attestation_chain, authenticator.attestation_key = self.batch_key()


class FidoTestService:
    """The test metadata service: its root signs the BLOB signer, which signs BLOBs."""

    def __init__(self, signer_not_after: datetime | None = None):
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _certificate(_name("Hallmark Test MDS Root"), self.root_key, _name("Hallmark Test MDS Root"),
                                 self.root_key, ca=True)
        self.signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signer = _certificate(_name("Hallmark Test MDS BLOB Signer"), self.signer_key, self.root.subject,
                                   self.root_key, ca=False, not_after=signer_not_after)

    @staticmethod
    def model(description: str, aaguid: str | None = None) -> Model:
        key = ec.generate_private_key(ec.SECP256R1())
        root = _certificate(_name(f"{description} Attestation Root"), key,
                            _name(f"{description} Attestation Root"), key, ca=True)
        return Model(aaguid=aaguid or str(uuid.uuid4()), description=description, root=root, root_key=key)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def blob(self, entries: list[dict], next_update: date | None = None, number: int = 1) -> bytes:
        """A signed BLOB listing ``entries`` (see :func:`entry`)."""
        payload = {"legalHeader": "Test metadata, not for production.", "no": number,
                   "nextUpdate": (next_update or date.today() + timedelta(days=30)).isoformat(),
                   "entries": entries}
        header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der(self.signer)).decode()]}
        key = RSAKey.import_key(self.signer_key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
        return jws.serialize_compact(header, json.dumps(payload).encode(), key).encode()

    def write(self, folder: Path, entries: list[dict], **kwargs) -> tuple[Path, Path]:
        """Write a BLOB and this service's root into ``folder``; returns (blob path, root path)."""
        folder.mkdir(parents=True, exist_ok=True)
        blob, root = folder / "blob.jwt", folder / "root.pem"
        blob.write_bytes(self.blob(entries, **kwargs))
        root.write_bytes(self.root_pem())
        return blob, root


def key_identifier(certificate: bytes) -> str:
    """The hex key identifier MDS3 lists U2F models by (``attestationCertificateKeyIdentifiers``)."""
    public_key = x509.load_der_x509_certificate(certificate).public_key()
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest.hex()


def entry(aaguid: str | None, description: str, roots: list[bytes], *, status: str = "FIDO_CERTIFIED_L1",
          key_protection: tuple[str, ...] = ("hardware", "secure_element"), key_ids: list[str] | None = None) -> dict:
    """One BLOB entry with its metadata statement, as MDS3 writes it (by AAGUID, or by ``key_ids``)."""
    today = date.today().isoformat()
    reports = [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2024-01-01"}]
    if status != "FIDO_CERTIFIED_L1":
        reports.append({"status": status, "effectiveDate": today})
    named = {"aaguid": aaguid} if aaguid else {"attestationCertificateKeyIdentifiers": key_ids or []}
    return {
        **named,
        "metadataStatement": {
            **named, "description": description, "authenticatorVersion": 1, "schema": 3,
            "upv": [{"major": 1, "minor": 1}], "attestationTypes": ["basic_full"],
            "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
            "keyProtection": list(key_protection), "matcherProtection": ["on_chip"],
            "attachmentHint": ["external", "wired"], "tcDisplay": [],
            "attestationRootCertificates": [base64.b64encode(root).decode() for root in roots],
        },
        "statusReports": reports,
        "timeOfLastStatusChange": today,
    }
