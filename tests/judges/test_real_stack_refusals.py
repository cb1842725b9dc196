"""What ``hallmark sign`` does when the real Fulcio refuses a token: it says so with the CA's own first
answer (never a second request that could mint another certificate), or refuses before asking."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey

from judges.requests_to_judges import artifact, sign, signed_like_hallmark


def test_a_token_signed_by_a_key_not_in_hallmarks_jwks_is_refused_with_fulcios_answer(real_stack, tmp_path):
    path = artifact(tmp_path)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-in-jwks"})
    done = sign(real_stack, path, signed_like_hallmark(real_stack.hallmark, key=stranger))
    assert done.returncode == 1
    assert "answered HTTP 400: There was an error processing the identity token" in done.stderr, done.stderr
    assert "states its reason only in its own log" in done.stderr
    assert "Traceback" not in done.stderr and not path.with_name(path.name + ".sigstore.json").exists()


def test_a_subject_outside_hallmarks_domain_is_refused_by_the_real_fulcio(real_stack, tmp_path):
    done = sign(real_stack, artifact(tmp_path), signed_like_hallmark(real_stack.hallmark, sub="http://evil.example/u/x"))
    assert done.returncode == 1 and "answered HTTP 400" in done.stderr, done.stderr


@pytest.mark.parametrize("claims,said", [
    ({"aud": "not-sigstore"}, "audience"),
    ({"exp": 1_000_000, "iat": 999_000}, "expired"),
])
def test_a_wrong_audience_or_an_expired_token_is_refused_before_fulcio_is_asked(real_stack, tmp_path, claims, said):
    done = sign(real_stack, artifact(tmp_path), signed_like_hallmark(real_stack.hallmark, **claims))
    assert done.returncode != 0 and said in done.stderr.lower() and "Traceback" not in done.stderr, done.stderr


