"""Audit events as sentences a person reads on their account page ("You added the key 'YubiKey 5C'"); the
machine name stays on the event for export. Details are quoted as given and never trusted as markup
(Jinja escapes them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Details = Mapping[str, Any]


def _key(d: Details) -> str:
    return f"'{d.get('credential')}'" if d.get("credential") else "a key"


def _n(count: Any, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


SENTENCES: dict[str, Callable[[Details], str]] = {
    "user.enrolled": lambda d: "You enrolled" + (" as an administrator." if d.get("admin") else "."),
    "login.succeeded": lambda d: f"You signed in with {_key(d)}.",
    "login.failed": lambda d: f"A sign-in was refused: {d.get('reason', 'the key was not accepted')}.",
    "security.counter_regression": lambda d: (f"A sign-in with {_key(d)} was refused: the key's counter went "
                                              "backwards, which a cloned key would do."),
    "session.touched": lambda d: f"You confirmed a change by touching {_key(d)}.",
    "session.revoked": lambda d: "You signed out one of your browsers.",
    "session.revoked_all": lambda d: f"You signed out everywhere ({_n(d.get('sessions', 0), 'browser', 'browsers')}).",
    "credential.added": lambda d: f"You added the key {_key(d)}.",
    "credential.renamed": lambda d: f"You renamed the key '{d.get('old')}' to '{d.get('new')}'.",
    "credential.revoked": lambda d: (f"You revoked the key {_key(d)}" + (", your last one." if d.get("last_key")
                                                                         else ".")),
    "credential.register_failed": lambda d: f"Adding a key was refused: {d.get('reason', 'not accepted')}.",
    "email.verification_sent": lambda d: f"A confirmation link was sent to {d.get('email')}.",
    "email.verified": lambda d: f"You confirmed {d.get('email')} as your signing identity.",
    "device.approved": lambda d: f"You approved a sign-in on another device for '{d.get('client')}' with {_key(d)}.",
    "device.denied": lambda d: f"A sign-in on another device for '{d.get('client')}' was denied.",
    "token.issued": lambda d: (f"'{d.get('client')}' received a "
                               + ("signing token" if d.get("client") == "sigstore" else "token")
                               + (f" after you touched {_key(d)}." if d.get("credential") else ".")),
    "code.reused": lambda d: (f"A sign-in code for '{d.get('client')}' was used twice; "
                              f"{_n(d.get('revoked_tokens', 0), 'token was', 'tokens were')} revoked."),
    "account.data_exported": lambda d: "You downloaded everything Hallmark holds about you.",
    "account.deleted": lambda d: f"Account {d.get('account')} was deleted.",
    "account.disabled": lambda d: ("Your account was disabled by an administrator"
                                   + (f": {d['reason']}." if d.get("reason") else ".")),
    "account.enabled": lambda d: ("Your account was enabled again by an administrator"
                                  + (f": {d['reason']}." if d.get("reason") else ".")),
    "account.recovery_link_created": lambda d: "An administrator made a recovery link for your account.",
    "invite.created": lambda d: ("An administrator enrollment link was made." if d.get("admin")
                                 else "An enrollment link was made."),
    "invite.expired": lambda d: "An enrollment link was ended before its time.",
    "client.added": lambda d: f"The OAuth client '{d.get('client')}' was registered.",
    "client.removed": lambda d: f"The OAuth client '{d.get('client')}' was removed.",
    "keys.rotated": lambda d: f"The token-signing key was rotated (now {d.get('kid')}).",
    "instance.backed_up": lambda d: "A backup of the instance was written.",
    "account.recovered": lambda d: (f"You recovered your account with {_key(d)}; "
                                    f"{_n(len(d.get('revoked') or []), 'old key was', 'old keys were')} revoked."),
}


def sentence(event: str, details: Details) -> str:
    """What ``event`` means for the person it is about."""
    if event.startswith("monitor."):
        return str(details.get("finding") or "The identity monitor reported a finding about your identity.")
    words = SENTENCES.get(event)
    return words(details) if words else f"{event.replace('.', ' ').replace('_', ' ').capitalize()}."
