"""Matching what the logs hold to what Hallmark issued: every certificate for this issuer must follow a
signing login of the same person, made while its token was valid, by an enabled account with a key that
was not revoked; one login yields one certificate."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509

from idp.client.certificate import CertificateError, identities, issuer
from idp.monitor.findings import CRITICAL, WARNING, WHAT_TO_DO, Finding
from idp.people.identity import username_from_subject
from idp.platform.config import Settings
from idp.store.db import db
from idp.store.models import Credential, MonitoredCertificate, SigningRecord, User


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M:%S UTC")


def serial_of(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


def person_named(identity: str, settings: Settings) -> User | None:
    """The account a certificate identity belongs to: a subject URI, ``name!domain`` or a proven email."""
    if "@" in identity and "!" not in identity:
        user: User | None = User.query.filter_by(email_canonical=identity.lower()).first()
        return user
    name = username_from_subject(identity.split("!", 1)[0], settings)
    return User.query.filter_by(username=name).first() if name else None


def for_this_issuer(certificate: x509.Certificate, settings: Settings) -> str | None:
    """The identity a certificate names, if Fulcio issued it for a token of this Hallmark."""
    try:
        found = issuer(certificate)
    except CertificateError:         # two contradicting issuers: not a certificate Fulcio made for us
        return None
    if found != settings.issuer:
        return None
    names = sorted(identities(certificate))
    return names[0] if names else ""


def login_behind(user: User, not_before: datetime, skew: timedelta) -> SigningRecord | None:
    """The signing login whose token was valid when the certificate was made (the latest one)."""
    record: SigningRecord | None = (
        SigningRecord.query.filter(SigningRecord.user_id == user.id,
                                   SigningRecord.issued_at <= not_before + skew,
                                   SigningRecord.expires_at >= not_before - skew)
        .order_by(SigningRecord.issued_at.desc()).first())
    return record


def judge(certificate: x509.Certificate, identity: str, logged_at: datetime, log_index: int,
          settings: Settings, skew: timedelta) -> tuple[MonitoredCertificate, list[Finding]]:
    """The row to keep for a certificate of this issuer, and what is wrong with it."""
    serial, not_before = serial_of(certificate), certificate.not_valid_before_utc
    user = person_named(identity, settings)
    record = login_behind(user, not_before, skew) if user is not None else None
    row = MonitoredCertificate(log_index=log_index, serial=serial, identity=identity,
                               user_id=user.id if user else None, signing_record_id=record.id if record else None,
                               not_before=not_before, logged_at=logged_at)
    findings: list[Finding] = []
    who = f"'{identity}'"
    if record is None:
        findings.append(Finding(
            key=f"no-login:{serial}", kind="certificate_without_login", severity=CRITICAL, serial=serial,
            user_id=user.id if user else None,
            sentence=(f"A signing certificate for {who} (serial {serial}) was issued at {_when(not_before)}, but "
                      "Hallmark made no signing login for it then: its token was forged with a leaked "
                      f"token-signing key, or the CA misissued it. {WHAT_TO_DO}")))
        return row, findings
    assert user is not None
    if user.disabled_at is not None and user.disabled_at <= not_before + skew:
        findings.append(Finding(
            key=f"disabled:{serial}", kind="certificate_for_disabled_account", severity=CRITICAL, serial=serial,
            user_id=user.id,
            sentence=(f"A signing certificate for {who} (serial {serial}) was issued at {_when(not_before)}, after "
                      f"the account was disabled ({_when(user.disabled_at)}), from a token minted before. "
                      f"{WHAT_TO_DO}")))
    key = db.session.get(Credential, record.credential_id) if record.credential_id else None
    if key is not None and key.revoked_at is not None and key.revoked_at <= not_before + skew:
        findings.append(Finding(
            key=f"revoked-key:{serial}", kind="certificate_after_key_revoked", severity=CRITICAL, serial=serial,
            user_id=user.id,
            sentence=(f"A signing certificate for {who} (serial {serial}) was issued at {_when(not_before)} from "
                      f"a login with the key '{key.name}', which was revoked at {_when(key.revoked_at)}. "
                      f"{WHAT_TO_DO}")))
    earlier = MonitoredCertificate.query.filter_by(signing_record_id=record.id).count()
    if earlier >= 1:
        findings.append(Finding(
            key=f"reused:{record.id}:{earlier + 1}", kind="token_reused", severity=WARNING, serial=serial,
            user_id=user.id,
            sentence=(f"{earlier + 1} signing certificates for {who} came from one signing login "
                      f"({_when(record.issued_at)}, client '{record.client_id}'); a signing client asks for one. "
                      f"The token may have been stolen and used again. {WHAT_TO_DO}")))
    return row, findings
