"""Matching what the logs hold to what Hallmark issued: every certificate for this issuer must follow a
signing login of the same person, made while its token was valid, by an enabled account with a key that
was not revoked; one login yields one certificate."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from sqlalchemy import func

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


class Matcher:
    """Matches certificates a bundle at a time: the people, their keys and the signing logins a bundle
    needs are read in a few queries and kept for the pass (bounded by the people, not the log)."""

    def __init__(self, settings: Settings, skew: timedelta):
        self.settings, self.skew = settings, skew
        self.people: dict[str, User | None] = {}
        self.keys: dict[int, Credential | None] = {}
        self.used: dict[int, int] = {}          # this bundle's signing record ids -> certificates matched so far

    def person(self, identity: str) -> User | None:
        if identity not in self.people:
            self.people[identity] = person_named(identity, self.settings)
        return self.people[identity]

    def key(self, credential_id: int | None) -> Credential | None:
        if credential_id is None:
            return None
        if credential_id not in self.keys:
            self.keys[credential_id] = db.session.get(Credential, credential_id)
        return self.keys[credential_id]

    def _logins(self, users: set[int], first: datetime, last: datetime) -> dict[int, list[SigningRecord]]:
        """Each user's signing logins whose tokens were valid at some moment of [first, last], latest first."""
        found: dict[int, list[SigningRecord]] = {user: [] for user in users}
        if not users:
            return found
        rows = (SigningRecord.query.filter(SigningRecord.user_id.in_(users),
                                           SigningRecord.issued_at <= last + self.skew,
                                           SigningRecord.expires_at >= first - self.skew)
                .order_by(SigningRecord.issued_at.desc()).all())
        for row in rows:
            found[row.user_id].append(row)
        known = {row.id for row in rows} - set(self.used)
        if known:
            counts = (db.session.query(MonitoredCertificate.signing_record_id, func.count())
                      .filter(MonitoredCertificate.signing_record_id.in_(known))
                      .group_by(MonitoredCertificate.signing_record_id).all())
            self.used.update({record: 0 for record in known})
            self.used.update({record: count for record, count in counts if record is not None})
        return found

    def judge_all(self, certificates: list[tuple[x509.Certificate, str, datetime, int]]
                  ) -> tuple[list[dict[str, Any]], list[Finding]]:
        """Rows and findings for (certificate, identity, logged at, log index) of this issuer."""
        if not certificates:
            return [], []
        self.used.clear()                       # the earlier bundles' rows are in the database: memory stays flat
        people = {identity: self.person(identity) for _, identity, _, _ in certificates}
        moments = [c.not_valid_before_utc for c, _, _, _ in certificates]
        logins = self._logins({p.id for p in people.values() if p is not None}, min(moments), max(moments))
        rows, findings = [], []
        for certificate, identity, logged_at, log_index in certificates:
            user = people[identity]
            not_before = certificate.not_valid_before_utc
            record = next((r for r in logins.get(user.id, []) if r.issued_at <= not_before + self.skew
                           and r.expires_at >= not_before - self.skew), None) if user else None
            row, found = judge(certificate, identity, logged_at, log_index, user, record, self)
            rows.append(row)
            findings += found
        return rows, findings


def judge(certificate: x509.Certificate, identity: str, logged_at: datetime, log_index: int, user: User | None,
          record: SigningRecord | None, matcher: Matcher) -> tuple[dict[str, Any], list[Finding]]:
    """The row to keep for a certificate of this issuer made by ``user`` after the login ``record`` (the
    latest whose token was valid then), and what is wrong with it."""
    serial, not_before, skew = serial_of(certificate), certificate.not_valid_before_utc, matcher.skew
    row = {"log_index": log_index, "serial": serial, "identity": identity, "user_id": user.id if user else None,
           "signing_record_id": record.id if record else None, "not_before": not_before, "logged_at": logged_at}
    user_id = user.id if user else None
    issued = f"A signing certificate for '{identity}' (serial {serial}) was issued at {_when(not_before)}"

    def flagged(key: str, kind: str, what: str, severity: str = CRITICAL) -> Finding:
        return Finding(key=key, kind=kind, severity=severity, serial=serial, user_id=user_id,
                       sentence=f"{what} {WHAT_TO_DO}")

    if user is None or record is None:
        return row, [flagged(f"no-login:{serial}", "certificate_without_login",
                             f"{issued}, but Hallmark made no signing login for it then: its token was forged with "
                             "a leaked token-signing key, or the CA misissued it.")]
    findings: list[Finding] = []
    if user.disabled_at is not None and user.disabled_at <= not_before + skew:
        findings.append(flagged(f"disabled:{serial}", "certificate_for_disabled_account",
                                f"{issued}, after the account was disabled ({_when(user.disabled_at)}), from a token "
                                "minted before."))
    key = matcher.key(record.credential_id)
    if key is not None and key.revoked_at is not None and key.revoked_at <= not_before + skew:
        findings.append(flagged(f"revoked-key:{serial}", "certificate_after_key_revoked",
                                f"{issued} from a login with the key '{key.name}', which was revoked at "
                                f"{_when(key.revoked_at)}."))
    earlier = matcher.used.get(record.id, 0)
    matcher.used[record.id] = earlier + 1
    if earlier >= 1:
        findings.append(flagged(f"reused:{record.id}:{earlier + 1}", "token_reused",
                                f"{earlier + 1} signing certificates for '{identity}' came from one signing login "
                                f"({_when(record.issued_at)}, client '{record.client_id}'); a signing client asks "
                                "for one. The token may have been stolen and used again.", WARNING))
    return row, findings
