"""An SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from hallmark_testing.servers import free_port

CONFIRMATION_LINK = re.compile(r"https?://[^\s/]+/account/email/verify/[A-Za-z0-9_-]+")


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"

    def text_to(self, address: str, timeout: float = 5) -> list[str]:
        """The bodies of every message to ``address`` (waits for the first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [email.message_from_string(body).get_payload(decode=True).decode()
                     for recipients, body in self.messages if address in recipients]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address}")

    def link_for(self, address: str) -> str:
        """The email confirmation link mailed to ``address`` (waits for it)."""
        for text in self.text_to(address):
            found = CONFIRMATION_LINK.search(text)
            if found:
                return found.group(0)
        raise AssertionError(f"no confirmation link in the mail to {address}")


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
