"""Sending mail over SMTP (``HALLMARK_SMTP_*``): only verification links, nothing else."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from idp.platform.config import Settings


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server."""


def send(settings: Settings, to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the configured SMTP server."""
    message = EmailMessage()
    message["From"] = settings.smtp_from or f"hallmark@{settings.issuer_host}"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the mail server at {settings.smtp_host}:{settings.smtp_port} refused or is unreachable "
                        f"({exc.__class__.__name__})") from exc
