"""Who-may-sign-what without a stack: the policy file's refusals, how rules combine, and the counting
invariant checked by Hypothesis (findings P1, P2, P8 and the per-kind identity comparison)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigstore.errors import VerificationError

from idp.client import UsageError
from idp.client.certificate import (
    ISSUER_V1,
    ISSUER_V2,
    CertificateError,
    IdentityPolicy,
    issuer,
    names,
)
from idp.client.names import Name, parse_name
from idp.client.policy import Signature, count, judge, load_policy
from idp.client.policy_file import Rule, policy_path

ISSUER = "https://id.example.org"
ALICE, BOB, CAROL = (f"{ISSUER}/u/{n}" for n in ("alice", "bob", "carol"))


def policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "signers.toml"
    path.write_text(body)
    return path


def rule_text(**fields: str) -> str:
    values = {"artifacts": '["*.tar.gz"]', "issuer": f'"{ISSUER}"', "identities": f'["{ALICE}", "{BOB}", "{CAROL}"]',
              "threshold": "2", **fields}
    return "[[rule]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v is not None)


# P1 ----------------------------------------------------------------------------------------------

def test_p01_misspelled_threshold(tmp_path):
    text = rule_text().replace("threshold = 2", "threshhold = 3")
    with pytest.raises(UsageError, match=r"signers.toml:5: rule 1: unknown key 'threshhold'"):
        load_policy(policy(tmp_path, text))


@pytest.mark.parametrize("fields,message", [
    ({"threshold": None}, "threshold is missing"),
    ({"threshold": "0"}, "threshold 0 but 3 identities"),
    ({"threshold": "4"}, "threshold 4 but 3 identities"),
    ({"threshold": "-1"}, "threshold -1 but 3 identities"),
    ({"threshold": "true"}, "threshold must be a whole number"),
    ({"identities": "[]"}, "identities must be a non-empty list"),
    ({"issuer": None}, "issuer is missing"),
    ({"issuer": '"x"'}, "issuer must be the identity provider's URL"),
    ({"identities": f'["{ALICE}", "{ALICE}"]', "threshold": "1"}, "an identity is listed twice"),
    ({"identities": '["alice"]', "threshold": "1"}, "neither a URI"),
])
def test_p01_every_weakening_mistake_is_a_usage_error_naming_the_line(tmp_path, fields, message):
    with pytest.raises(UsageError, match=r"signers.toml:\d+: rule 1") as refused:
        load_policy(policy(tmp_path, rule_text(**fields)))
    assert message in str(refused.value)


def test_p01_unknown_top_level_keys_are_refused(tmp_path):
    with pytest.raises(UsageError, match="unknown top-level key 'rules'"):
        load_policy(policy(tmp_path, "[[rules]]\nthreshold = 1\n"))


# P2 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields,message", [
    ({"artifacts": '"docs/*.html"'}, "artifacts must be a list of globs"),
    ({"artifacts": "[1]"}, "every artifact glob must be a non-empty string"),
    ({"artifacts": "[]"}, "artifacts must be a non-empty list"),
    ({"threshold": "2.9"}, "threshold must be a whole number, got 2.9"),
    ({"identities": f'"{ALICE}"'}, "identities must be a non-empty list"),
    ({"identities": "[1]"}, "every identity must be a string"),
])
def test_p02_every_field_has_its_type(tmp_path, fields, message):
    with pytest.raises(UsageError) as refused:
        load_policy(policy(tmp_path, rule_text(**fields)))
    assert message in str(refused.value)


def sig(path: str, *identities: str, key: str | None = None, digest: str = "d" * 64, by: str = ISSUER) -> Signature:
    return Signature(path=Path(path), names=frozenset(parse_name(i) for i in identities), issuer=by,
                     key=key or f"key-{path}", digest=digest, description=path)


def rule(number: int, artifacts: list[str], identities: list[str], threshold: int, by: str = ISSUER) -> Rule:
    return Rule(number=number, artifacts=tuple(artifacts), issuer=by,
                identities=tuple(parse_name(i) for i in identities), threshold=threshold)


def test_p02_a_file_must_satisfy_every_rule_that_covers_it(tmp_path):
    text = (rule_text(artifacts='["docs/*.html", "*"]', identities=f'["{ALICE}"]', threshold="1")
            + rule_text(artifacts='["*.tar.gz"]'))
    rules = load_policy(policy(tmp_path, text))
    results = judge(Path("release.tar.gz"), "d" * 64, rules, [sig("a.json", ALICE)])
    assert [r.passed for r in results] == [True, False]              # 1-of-1 holds, 2-of-3 does not
    results = judge(Path("release.tar.gz"), "d" * 64, rules, [sig("a.json", ALICE), sig("b.json", BOB)])
    assert all(r.passed for r in results)


def test_p02_star_does_not_cross_a_slash():
    docs = rule(1, ["docs/*.html"], [ALICE], 1)
    assert docs.covers(Path("docs/index.html"))
    assert not docs.covers(Path("docs/api/index.html"))
    assert not rule(1, ["/*.tar.gz"], [ALICE], 1).covers(Path("/srv/dist/x.tar.gz"))


def test_p02_a_path_is_matched_the_same_however_it_is_typed(tmp_path, monkeypatch):
    (tmp_path / "dist").mkdir()
    monkeypatch.chdir(tmp_path)
    wheels = rule(1, ["dist/*.whl"], [ALICE], 1)
    typed = [Path("dist/a.whl"), Path("./dist/a.whl"), tmp_path / "dist" / "a.whl", Path("dist/../dist/a.whl")]
    assert {policy_path(p) for p in typed} == {"dist/a.whl"}
    assert all(wheels.covers(p) for p in typed)
    absolute = rule(1, [f"{tmp_path}/dist/*.whl"], [ALICE], 1)
    assert all(absolute.covers(p) for p in typed)


# P8 ----------------------------------------------------------------------------------------------

def test_p08_one_key_holder_counts_as_one_maintainer():
    """Two certificates on one key pair, each naming both alice and bob (a misbehaving CA)."""
    two_of_three = rule(1, ["*"], [ALICE, BOB, CAROL], 2)
    both = [sig("x.json", ALICE, BOB, key="same"), sig("y.json", BOB, ALICE, key="same")]
    for order in (both, both[::-1]):
        result = count(two_of_three, "d" * 64, order)
        assert not result.passed and list(result.counted) == [parse_name(ALICE)]


def test_p08_the_same_public_key_never_counts_twice():
    result = count(rule(1, ["*"], [ALICE, BOB], 2), "d" * 64, [sig("a.json", ALICE, key="k"), sig("b.json", BOB, key="k")])
    assert not result.passed and "public key already counted" in result.rejected[0][1]


def test_p08_counting_does_not_depend_on_the_hash_seed(tmp_path):
    """The same decision in fresh interpreters with different hash seeds (14 of 30 runs differed before)."""
    import subprocess
    import sys

    script = (
        "from pathlib import Path\n"
        "from idp.client.names import parse_name\n"
        "from idp.client.policy import Signature, count\n"
        "from idp.client.policy_file import Rule\n"
        f"ids = [parse_name(i) for i in ({ALICE!r}, {BOB!r}, {CAROL!r})]\n"
        "r = Rule(1, ('*',), 'I', tuple(ids), 2)\n"
        "s = [Signature(Path(n), frozenset(ids[:2]), 'I', 'k' + n, 'd', n) for n in ('x', 'y')]\n"
        "print(count(r, 'd', s).passed, sorted(str(i) for i in count(r, 'd', s).counted))\n")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(8)}
    assert len(outputs) == 1 and outputs.pop().startswith("False")


# Per-kind identities and the issuer extensions -------------------------------------------------

def certificate(san: list[x509.GeneralName], extensions: dict | None = None) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(minutes=10))
               .add_extension(x509.SubjectAlternativeName(san), critical=False))
    for oid, value in (extensions or {}).items():
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    return builder.sign(key, hashes.SHA256())


def test_identities_are_compared_per_name_type():
    cert = certificate([x509.UniformResourceIdentifier("alice!example.org"), x509.RFC822Name("bob@example.org")])
    assert names(cert) == {Name("uri", "alice!example.org"), Name("email", "bob@example.org")}
    with pytest.raises(VerificationError, match="a username identity"):
        IdentityPolicy(identity=parse_name("alice!example.org"), issuer=ISSUER).verify(
            certificate([x509.UniformResourceIdentifier("alice!example.org")], {ISSUER_V1: ISSUER.encode()}))
    result = count(rule(1, ["*"], ["alice!example.org"], 1), "d" * 64,
                   [Signature(Path("u.json"), frozenset({Name("uri", "alice!example.org")}), ISSUER, "k", "d" * 64, "")])
    assert not result.passed


def test_issuer_extensions_that_disagree_are_refused():
    from pyasn1.codec.der.encoder import encode
    from pyasn1.type.char import UTF8String

    v2 = encode(UTF8String(ISSUER))
    agree = certificate([x509.UniformResourceIdentifier(ALICE)], {ISSUER_V2: v2, ISSUER_V1: ISSUER.encode()})
    assert issuer(agree) == ISSUER
    disagree = certificate([x509.UniformResourceIdentifier(ALICE)], {ISSUER_V2: v2, ISSUER_V1: b"https://evil"})
    with pytest.raises(CertificateError, match="names two issuers"):
        issuer(disagree)


# The invariant -----------------------------------------------------------------------------------

POOL = [f"{ISSUER}/u/{n}" for n in ("a", "b", "c", "d")] + ["e@example.org", "f!example.org"]
ISSUERS = [ISSUER, "https://other.example"]
FILES = ["dist/x.whl", "dist/sub/y.whl", "z.tar.gz", "docs/i.html"]
GLOBS = ["*", "*.whl", "dist/*.whl", "dist/*", "*.tar.gz", "docs/*.html", "nothing"]
DIGESTS = ["a" * 64, "b" * 64]


@st.composite
def rules_strategy(draw):
    made = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        identities = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=4, unique=True))
        made.append(rule(number, draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=2)), identities,
                         draw(st.integers(1, len(identities))), draw(st.sampled_from(ISSUERS))))
    return made


signatures_strategy = st.lists(st.builds(
    lambda n, ids, key, digest, by: sig(f"s{n}.json", *ids, key=f"k{key}", digest=digest, by=by),
    st.integers(0, 9), st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True), st.integers(0, 4),
    st.sampled_from(DIGESTS), st.sampled_from(ISSUERS)), max_size=6, unique_by=lambda s: s.path)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rules_strategy(), signatures=signatures_strategy, file=st.sampled_from(FILES),
       digest=st.sampled_from(DIGESTS))
def test_property_a_file_passes_only_with_threshold_distinct_signers_under_every_covering_rule(
        rules, signatures, file, digest):
    results = judge(Path(file), digest, rules, signatures)
    passed = bool(results) and all(r.passed for r in results)
    covering = [r for r in rules if r.covers(Path(file))]
    assert [r.rule for r in results] == covering
    if passed:
        for one in covering:
            valid = [s for s in signatures if s.issuer == one.issuer and s.digest == digest]
            signers = {i for s in valid for i in s.names if i in one.identities}
            assert len(signers) >= one.threshold
            assert len({s.key for s in valid if s.names & set(one.identities)}) >= one.threshold
    again = judge(Path(file), digest, rules, list(reversed(signatures)))
    assert [(r.passed, sorted(r.counted)) for r in again] == [(r.passed, sorted(r.counted)) for r in results]
