"""Email identity mode: a person adds an address and proves it through a single-use link sent by SMTP
(docs/security-checklist.md 35: the address proves itself to the account that asked for it, and one
address belongs to one account at most)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from idp.people import audit
from idp.platform import clock, mail
from idp.platform.config import Settings
from idp.platform.secretfiles import sha256_hex
from idp.platform.words import _, _l
from idp.store.db import db
from idp.store.models import EmailVerification, User

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")


class EmailRefused(ValueError):
    """The address cannot be used, or the mail could not be sent; the message says which."""


class LinkGone(LookupError):
    """The confirmation link is unknown, expired or already used."""


@dataclass(frozen=True)
class WrongAccount(Exception):
    """The link was opened while signed in as someone else than the account that asked."""

    email: str
    asker: str


class AddressTaken(Exception):
    """Another account confirmed the address first."""


def held_by_another(address: str, user_id: int) -> bool:
    """Whether another account already holds ``address`` (compared in lower case)."""
    owner = User.query.filter_by(email_canonical=address.strip().lower()).first()
    return owner is not None and owner.id != user_id


def send_link(cfg: Settings, user: User, address: str) -> str:
    """Record a confirmation link for ``address`` and mail it; nothing is kept when the mail fails.
    Returns the address as sent."""
    address = address.strip()
    if not EMAIL_RE.fullmatch(address) or len(address) > 254:
        raise EmailRefused(_l("That does not look like an email address."))
    if held_by_another(address, user.id):
        raise EmailRefused(_l("That address is already the signing identity of another account."))
    token = secrets.token_urlsafe(32)
    db.session.add(EmailVerification(token_hash=sha256_hex(token), user_id=user.id, email=address,
                                     expires_at=clock.now() + timedelta(seconds=cfg.email_link_lifetime)))
    audit.record("email.verification_sent", user=user, email=address)
    link = f"{cfg.issuer}/account/email/verify/{token}"
    try:
        mail.send(cfg, address, _("Confirm your email address for Hallmark"),
                  _("Someone (hopefully you, %(name)s) asked Hallmark to use this address as a signing identity."
                    "\n\nConfirm it within %(minutes)s minutes:\n%(link)s\n\nIf it was not you, ignore this message.",
                    name=user.username, minutes=cfg.email_link_lifetime // 60, link=link))
    except mail.MailError as exc:
        db.session.rollback()
        raise EmailRefused(_l("Could not send the confirmation: %(why)s. Try again later.", why=str(exc))) from exc
    db.session.commit()
    return address


def pending_for(user: User, token: str) -> EmailVerification:
    """The unused, unexpired link ``token``, if it was asked for by ``user``."""
    row: EmailVerification | None = EmailVerification.query.filter_by(token_hash=sha256_hex(token)).first()
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        raise LinkGone(token)
    if row.user_id != user.id:
        asker = db.session.get(User, row.user_id)
        raise WrongAccount(email=row.email, asker=asker.username if asker else "unknown")
    return row


def confirm(user: User, token: str) -> str:
    """Use the link ``token``: ``user``'s address becomes the confirmed one. Returns the address."""
    row = pending_for(user, token)
    if held_by_another(row.email, row.user_id):
        raise AddressTaken(row.email)
    now = clock.now()
    used = (EmailVerification.query.filter_by(token_hash=sha256_hex(token), used_at=None)
            .update({"used_at": now}, synchronize_session=False))
    if used != 1:
        db.session.rollback()
        raise LinkGone(token)
    user.email, user.email_canonical, user.email_verified_at = row.email, row.email.strip().lower(), now
    audit.record("email.verified", user=user, email=row.email)
    try:
        db.session.commit()
    except IntegrityError:          # another account confirmed the same address at the same moment
        db.session.rollback()
        raise AddressTaken(row.email) from None
    return row.email
