"""Audit events as sentences a person reads on their account page ("You added the key 'YubiKey 5C'"), in their
language; the machine name stays on the event for export. Details are quoted as given and never trusted as
markup (Jinja escapes them). Outside a request the sentences are English."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from idp.platform.words import _, ngettext

Details = Mapping[str, Any]


def _key(d: Details) -> str:
    return f"'{d.get('credential')}'" if d.get("credential") else _("a key")


def _login_failed(d: Details) -> str:
    reason = d.get("reason") or _("the key was not accepted")
    return _("A sign-in was refused: %(reason)s.", reason=reason)


def _register_failed(d: Details) -> str:
    reason = d.get("reason") or _("not accepted")
    return _("Adding a key was refused: %(reason)s.", reason=reason)


def _revoked(d: Details) -> str:
    if d.get("last_key"):
        return _("You revoked the key %(key)s, your last one.", key=_key(d))
    return _("You revoked the key %(key)s.", key=_key(d))


def _token(d: Details) -> str:
    client = d.get("client")
    if client == "sigstore":
        if d.get("credential"):
            return _("'%(client)s' received a signing token after you touched %(key)s.", client=client, key=_key(d))
        return _("'%(client)s' received a signing token.", client=client)
    if d.get("credential"):
        return _("'%(client)s' received a token after you touched %(key)s.", client=client, key=_key(d))
    return _("'%(client)s' received a token.", client=client)


def _disabled(d: Details) -> str:
    if d.get("reason"):
        return _("Your account was disabled by an administrator: %(reason)s.", reason=d["reason"])
    return _("Your account was disabled by an administrator.")


def _enabled(d: Details) -> str:
    if d.get("reason"):
        return _("Your account was enabled again by an administrator: %(reason)s.", reason=d["reason"])
    return _("Your account was enabled again by an administrator.")


SENTENCES: dict[str, Callable[[Details], str]] = {
    "user.enrolled": lambda d: _("You enrolled as an administrator.") if d.get("admin") else _("You enrolled."),
    "login.succeeded": lambda d: _("You signed in with %(key)s.", key=_key(d)),
    "login.failed": _login_failed,
    "security.counter_regression": lambda d: _("A sign-in with %(key)s was refused: the key's counter went "
                                               "backwards, which a cloned key would do.", key=_key(d)),
    "session.touched": lambda d: _("You confirmed a change by touching %(key)s.", key=_key(d)),
    "session.revoked": lambda d: _("You signed out one of your browsers."),
    "session.revoked_all": lambda d: ngettext("You signed out everywhere (%(num)s browser).",
                                              "You signed out everywhere (%(num)s browsers).",
                                              int(d.get("sessions", 0) or 0)),
    "credential.added": lambda d: _("You added the key %(key)s.", key=_key(d)),
    "credential.renamed": lambda d: _("You renamed the key '%(old)s' to '%(new)s'.", old=d.get("old"),
                                      new=d.get("new")),
    "credential.revoked": _revoked,
    "credential.register_failed": _register_failed,
    "email.verification_sent": lambda d: _("A confirmation link was sent to %(email)s.", email=d.get("email")),
    "email.verified": lambda d: _("You confirmed %(email)s as your signing identity.", email=d.get("email")),
    "device.approved": lambda d: _("You approved a sign-in on another device for '%(client)s' with %(key)s.",
                                   client=d.get("client"), key=_key(d)),
    "device.denied": lambda d: _("A sign-in on another device for '%(client)s' was denied.", client=d.get("client")),
    "token.issued": _token,
    "code.reused": lambda d: ngettext("A sign-in code for '%(client)s' was used twice; %(num)s token was revoked.",
                                      "A sign-in code for '%(client)s' was used twice; %(num)s tokens were revoked.",
                                      int(d.get("revoked_tokens", 0) or 0), client=d.get("client")),
    "account.data_exported": lambda d: _("You downloaded everything Hallmark holds about you."),
    "account.deleted": lambda d: _("Account %(account)s was deleted.", account=d.get("account")),
    "account.disabled": _disabled,
    "account.enabled": _enabled,
    "account.recovery_link_created": lambda d: _("An administrator made a recovery link for your account."),
    "invite.created": lambda d: (_("An administrator enrollment link was made.") if d.get("admin")
                                 else _("An enrollment link was made.")),
    "invite.expired": lambda d: _("An enrollment link was ended before its time."),
    "client.added": lambda d: _("The OAuth client '%(client)s' was registered.", client=d.get("client")),
    "client.secret_rotated": lambda d: _("The OAuth client '%(client)s' was given a new secret.",
                                         client=d.get("client")),
    "client.removed": lambda d: _("The OAuth client '%(client)s' was removed.", client=d.get("client")),
    "keys.rotated": lambda d: _("The token-signing key was rotated (now %(kid)s).", kid=d.get("kid")),
    "instance.backed_up": lambda d: _("A backup of the instance was written."),
    "account.recovered": lambda d: ngettext("You recovered your account with %(key)s; %(num)s old key was revoked.",
                                            "You recovered your account with %(key)s; %(num)s old keys were revoked.",
                                            len(d.get("revoked") or []), key=_key(d)),
}


def sentence(event: str, details: Details) -> str:
    """What ``event`` means for the person it is about."""
    if event.startswith("monitor."):
        return str(details.get("finding") or _("The identity monitor reported a finding about your identity."))
    words = SENTENCES.get(event)
    return words(details) if words else f"{event.replace('.', ' ').replace('_', ' ').capitalize()}."
