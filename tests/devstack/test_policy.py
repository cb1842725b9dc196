"""Who may sign what: k-of-n signer policies over several maintainers' bundles."""

from __future__ import annotations

import pytest

from hallmark_testing.commands import hallmark_cli


@pytest.fixture(scope="module")
def release(hallmark, stack, token_for, tmp_path_factory):
    """One file signed by alice and bob (labelled bundles) and by an outsider, mallory."""
    folder = tmp_path_factory.mktemp("release")
    artifact = folder / "hallmark-1.0.tar.gz"
    artifact.write_bytes(b"the release\n")
    for name in ("alice", "bob", "mallory"):
        result = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token",
                              token_for(name), "--label", name, str(artifact))
        assert result.returncode == 0, result.stderr
    return artifact


def write_policy(folder, hallmark, names, threshold, artifacts='["*.tar.gz"]'):
    identities = ", ".join(f'"{hallmark.url}/u/{n}"' for n in names)
    path = folder / "signers.toml"
    path.write_text(f'[[rule]]\nartifacts = {artifacts}\nissuer = "{hallmark.url}"\n'
                    f"identities = [{identities}]\nthreshold = {threshold}\n")
    return path


def run(stack, policy, *files):
    return hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--policy", str(policy), *map(str, files))


def test_two_of_three_passes(hallmark, stack, release, tmp_path):
    result = run(stack, write_policy(tmp_path, hallmark, ["alice", "bob", "carol"], 2), release)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {release}: 2 of 2 required signers" in result.stdout
    assert f"counted: {hallmark.url}/u/alice" in result.stdout and f"counted: {hallmark.url}/u/bob" in result.stdout
    assert f"{hallmark.url}/u/mallory is not allowed to sign {release.name}" in result.stdout


def test_two_of_two_with_a_missing_signer_fails_naming_them(hallmark, stack, release, tmp_path):
    result = run(stack, write_policy(tmp_path, hallmark, ["alice", "carol"], 2), release)
    assert result.returncode == 1
    assert f"FAIL: {release}: 1 of 2 required signers" in result.stdout
    assert f"missing: {hallmark.url}/u/carol" in result.stdout


def test_outsider_bundle_does_not_count(hallmark, stack, release, tmp_path):
    result = run(stack, write_policy(tmp_path, hallmark, ["alice", "carol"], 2), release)
    assert f"counted: {hallmark.url}/u/mallory" not in result.stdout


def test_tampered_file_fails(hallmark, stack, release, tmp_path):
    tampered = tmp_path / release.name
    tampered.write_bytes(b"the release, with a surprise\n")
    for bundle in release.parent.glob(f"{release.name}.*.sigstore.json"):
        (tmp_path / bundle.name).write_bytes(bundle.read_bytes())
    result = run(stack, write_policy(tmp_path, hallmark, ["alice", "bob"], 1), tampered)
    assert result.returncode == 1 and "0 of 1 required" in result.stdout and "digest mismatch" in result.stdout


def test_file_outside_every_rule_fails(hallmark, stack, release, tmp_path):
    result = run(stack, write_policy(tmp_path, hallmark, ["alice"], 1, artifacts='["*.whl"]'), release)
    assert result.returncode == 1 and "no rule in the policy covers this file" in result.stdout


@pytest.mark.parametrize("text,message", [
    ("not toml [", "not valid TOML"),
    ("", "no [[rule]]"),
    ('[[rule]]\nartifacts=["*"]\nissuer="https://x.example"\nidentities=["https://x.example/u/a"]\nthreshold=2\n',
     "threshold 2 but 1 identities"),
    ('[[rule]]\nartifacts=["*"]\n', "needs artifacts, issuer, identities"),
])
def test_bad_policies_are_usage_errors(stack, release, tmp_path, text, message):
    policy = tmp_path / "bad.toml"
    policy.write_text(text)
    result = run(stack, policy, release)
    assert result.returncode == 2 and message in result.stderr
