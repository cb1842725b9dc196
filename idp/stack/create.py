"""``hallmark stack init``: every key, certificate and configuration file of the stack, created once."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idp.people.identity import fulcio_config
from idp.platform.config import Settings
from idp.platform.secretfiles import write_private
from idp.stack import pki
from idp.stack.layout import Layout, StackConfig, StackConfigError
from idp.stack.trust_root import client_trust_config, signing_config, trusted_root


def passphrase(settings: Settings, layout: Layout, *, create: bool = False) -> str:
    """The passphrase of the CA and TSA keys: ``HALLMARK_KEY_PASSPHRASE`` when set, else a random one
    kept in ``secrets/passphrase`` (0600) beside them — fine on a laptop, not in production. Only
    ``init`` creates one; later it must open the keys ``init`` made."""
    if settings.key_passphrase:
        secret = settings.key_passphrase
    elif layout.passphrase.exists():
        secret = layout.passphrase.read_text().strip()
    elif create:
        return _new_passphrase(layout)
    else:
        raise StackConfigError("the stack's keys are encrypted, and neither HALLMARK_KEY_PASSPHRASE nor "
                               f"{layout.passphrase} is there: set HALLMARK_KEY_PASSPHRASE to the one 'hallmark "
                               "stack init' used")
    if layout.fulcio_key.exists():
        try:
            serialization.load_pem_private_key(layout.fulcio_key.read_bytes(), secret.encode())
        except (ValueError, TypeError):
            raise StackConfigError(f"the passphrase does not open {layout.fulcio_key}: set HALLMARK_KEY_PASSPHRASE "
                                   "to the one 'hallmark stack init' used") from None
    return secret


def _new_passphrase(layout: Layout) -> str:
    layout.passphrase.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    write_private(layout.passphrase, value.encode())
    return value


def _write_json(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(temporary, path)


def _ca_in_token(settings: Settings, layout: Layout, config: StackConfig) -> list[Any]:
    """The intermediate's key made inside Hallmark's PKCS#11 token (sensitive, not extractable), its
    certificate signed by a root whose key is never stored; and Fulcio's crypto11 configuration."""
    from idp.platform.hsm import HsmError, store_for

    if not settings.pkcs11_module:
        raise StackConfigError("--ca-custody pkcs11 needs HALLMARK_PKCS11_MODULE, HALLMARK_PKCS11_TOKEN_LABEL and "
                               "HALLMARK_PKCS11_PIN_FILE (the token Hallmark's own keys use)")
    try:
        public = store_for(settings).generate(config.ca_key_label)
    except HsmError as exc:
        raise StackConfigError(str(exc)) from exc
    chain = pki.ca_chain_for(config.organization, public)
    pki.write_chain(layout.fulcio_issuing, chain[:1])
    layout.crypto11.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(layout.crypto11, json.dumps({"Path": settings.pkcs11_module,
                                               "TokenLabel": settings.pkcs11_token_label,
                                               "Pin": settings.pkcs11_pin}).encode())
    return chain


def init(settings: Settings, layout: Layout, config: StackConfig) -> list[str]:
    """Create the stack in ``layout.folder`` (which must not hold one); returns what was made."""
    config.check()
    if layout.config.exists():
        raise StackConfigError(f"a stack already exists in {layout.folder}; 'hallmark stack up' starts it "
                               "(move the folder away to start over: its keys sign your history)")
    for sub in ("fulcio", "tesseract", "rekor", "tsa", "logs", "data"):
        (layout.folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = passphrase(settings, layout, create=True)
    if config.ca_custody == "pkcs11":
        ca_chain = _ca_in_token(settings, layout, config)
    else:
        ca_key, ca_chain = pki.ca_chain(config.organization)
        pki.write_encrypted_key(layout.fulcio_key, ca_key, secret)
    pki.write_chain(layout.fulcio_chain, ca_chain)
    layout.fulcio_config.write_text(fulcio_config(settings) + "\n")

    ct_key = ec.generate_private_key(ec.SECP256R1())
    pki.write_plain_key(layout.ct_key, ct_key)
    layout.ct_public.write_bytes(pki.spki_pem(ct_key.public_key()))
    pki.write_chain(layout.ct_roots, ca_chain[-1:])

    rekor_key = ed25519.Ed25519PrivateKey.generate()
    pki.write_plain_key(layout.rekor_key, rekor_key)

    tsa_key, tsa_chain = pki.tsa_chain(config.organization)
    pki.write_encrypted_key(layout.tsa_key, tsa_key, secret)
    pki.write_chain(layout.tsa_chain, tsa_chain)

    root = trusted_root(config, ca_chain=ca_chain, tsa_chain=tsa_chain, ct_key=ct_key.public_key(),
                        rekor_key=rekor_key.public_key())
    signing = signing_config(config, ca_chain[-1].not_valid_before_utc)
    _write_json(layout.trusted_root, root)
    _write_json(layout.signing_config, signing)
    _write_json(layout.trust_config, client_trust_config(root, signing))
    layout.config.write_text(config.to_json() + "\n")
    custody = (f"key in the PKCS#11 token {settings.pkcs11_token_label!r} as {config.ca_key_label!r}"
               if config.ca_custody == "pkcs11" else "key encrypted")
    return [f"Fulcio CA (root + intermediate, {custody}): {layout.fulcio_chain}",
            f"CT log key (TesseraCT, origin {config.ct_origin}): {layout.ct_key}",
            f"Rekor v2 checkpoint key (Ed25519, origin {config.rekor_origin}): {layout.rekor_key}",
            f"timestamp authority chain (leaf with a critical timeStamping key usage): {layout.tsa_chain}",
            f"trusted root and signing config: {layout.trusted_root}, {layout.signing_config}"]
