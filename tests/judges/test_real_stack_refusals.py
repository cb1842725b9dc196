"""What ``hallmark sign`` does when the real Fulcio refuses a token: it says so with the CA's own first
answer (never a second request that could mint another certificate), or refuses before asking."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from commands import hallmark_cli
from helpers import unique_name
from joserfc import jwt
from joserfc.jwk import ECKey

from idp import clock, keys


def sign(stack, path: Path, token: str):
    return hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token, str(path))


def artifact(folder: Path, text: str = "a release\n") -> Path:
    path = folder / f"{unique_name('file')}.txt"
    path.write_text(text)
    return path


def ct_size(stack) -> int:
    """The CT log's tree size from TesseraCT's published checkpoint (its second line)."""
    deadline = time.monotonic() + 5
    checkpoint = stack.layout.storage("tesseract") / "checkpoint"
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return int(checkpoint.read_text().splitlines()[1]) if checkpoint.exists() else 0


def settle(stack, expected: int) -> int:
    """The CT tree size once it stops growing (TesseraCT publishes a checkpoint every second)."""
    deadline, size = time.monotonic() + 6, ct_size(stack)
    while size < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        size = ct_size(stack)
    time.sleep(1.5)
    return ct_size(stack)


def forged(stack, key=None, **claims) -> str:
    settings = stack.hallmark.app.extensions["hallmark"]
    with stack.hallmark.app.app_context():
        signing = key or keys.active_key(settings)
    now = clock.timestamp()
    payload = {"iss": settings.issuer, "sub": f"{settings.issuer}/u/forged", "aud": "sigstore", "iat": now,
               "exp": now + 300, **claims}
    return jwt.encode({"alg": "ES256", "typ": "JWT", "kid": signing.kid or "x"}, payload, signing)


def test_a_token_signed_by_a_key_not_in_hallmarks_jwks_is_refused_with_fulcios_answer(real_stack, tmp_path):
    path = artifact(tmp_path)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-in-jwks"})
    done = sign(real_stack, path, forged(real_stack, key=stranger))
    assert done.returncode == 1
    assert "answered HTTP 400: There was an error processing the identity token" in done.stderr, done.stderr
    assert "states its reason only in its own log" in done.stderr
    assert "Traceback" not in done.stderr and not path.with_name(path.name + ".sigstore.json").exists()


def test_a_subject_outside_hallmarks_domain_is_refused_by_the_real_fulcio(real_stack, tmp_path):
    done = sign(real_stack, artifact(tmp_path), forged(real_stack, sub="http://evil.example/u/x"))
    assert done.returncode == 1 and "answered HTTP 400" in done.stderr, done.stderr


@pytest.mark.parametrize("claims,said", [
    ({"aud": "not-sigstore"}, "audience"),
    ({"exp": 1_000_000, "iat": 999_000}, "expired"),
])
def test_a_wrong_audience_or_an_expired_token_is_refused_before_fulcio_is_asked(real_stack, tmp_path, claims, said):
    done = sign(real_stack, artifact(tmp_path), forged(real_stack, **claims))
    assert done.returncode != 0 and said in done.stderr.lower() and "Traceback" not in done.stderr, done.stderr


