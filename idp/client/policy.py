"""Who may sign what: ``signers.toml`` maps artifact globs to allowed identities and a threshold k.

    [[rule]]
    artifacts  = ["dist/*.whl", "*.tar.gz"]
    issuer     = "https://id.example.org"
    identities = ["https://id.example.org/u/alice", "https://id.example.org/u/bob"]
    threshold  = 2

A file passes when **every** rule that covers it holds, and fails when no rule covers it. A rule
holds when at least ``threshold`` of its identities, vouched for by its issuer, signed exactly
this file. Counting is deterministic and conservative (finding P8): bundles are taken in the order
of their paths; a certificate counts for at most one identity (the first of the rule's list that
it names); it does not count at all if any allowed identity it names, or its public key, already
counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sigstore.hashes import Hashed

from idp.client import ClientError
from idp.client.bundles import load
from idp.client.instance import Instance
from idp.client.names import Name
from idp.client.policy_file import Rule, load_policy
from idp.client.shown import shown
from idp.client.verify import verify

__all__ = ["Decision", "RuleResult", "Signature", "count", "decide", "judge", "load_policy"]


@dataclass(frozen=True)
class Signature:
    """What one verified bundle contributes to a decision."""

    path: Path
    names: frozenset[Name]
    issuer: str | None
    key: str                # fingerprint of the certificate's public key
    digest: str             # sha256 hex of what it signs
    description: str


@dataclass
class RuleResult:
    """How one rule judged one file."""

    rule: Rule
    counted: dict[Name, str] = field(default_factory=dict)          # identity → description
    rejected: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return len(self.counted) >= self.rule.threshold

    @property
    def missing(self) -> list[Name]:
        return [i for i in self.rule.identities if i not in self.counted]


def count(rule: Rule, digest: str, signatures: list[Signature], artifact_name: str = "this file") -> RuleResult:
    """Judge ``signatures`` (already verified against the file) under ``rule``."""
    result = RuleResult(rule)
    used_names: set[Name] = set()
    used_keys: set[str] = set()
    for signature in sorted(signatures, key=lambda s: str(s.path)):
        if signature.digest != digest:
            result.rejected.append((signature.path, "signs another file's digest"))
            continue
        if signature.issuer != rule.issuer:
            result.rejected.append((signature.path, f"issued through {shown(signature.issuer)}, "
                                                    f"rule {rule.number} requires {rule.issuer}"))
            continue
        allowed = [i for i in rule.identities if i in signature.names]
        if not allowed:
            who = ", ".join(shown(n) for n in sorted(signature.names)) or "no identity"
            result.rejected.append((signature.path, f"{who} is not allowed to sign {shown(artifact_name)}"))
            continue
        again = [i for i in allowed if i in used_names]
        if again:
            result.rejected.append((signature.path, f"{shown(again[0])} already counted (one signature per "
                                                    "identity, and a certificate counts for one identity)"))
            continue
        if signature.key in used_keys:
            result.rejected.append((signature.path, "its public key already counted for another identity"))
            continue
        result.counted[allowed[0]] = signature.description
        used_names.update(allowed)
        used_keys.add(signature.key)
    return result


def judge(artifact: Path, digest: str, rules: list[Rule], signatures: list[Signature]) -> list[RuleResult]:
    """Every rule that covers ``artifact``, each judging ``signatures``; the file passes when this
    list is not empty and every result passed."""
    return [count(rule, digest, signatures, artifact.name) for rule in rules if rule.covers(artifact)]


@dataclass
class Decision:
    """The verdict on one file: every rule covering it, and the bundles no rule could use."""

    artifact: Path
    results: list[RuleResult]
    unreadable: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def report(self) -> list[str]:
        name = shown(self.artifact)
        if not self.results:
            return [f"FAIL: {name}: no rule in the policy covers this file"]
        verdict = "OK" if self.passed else "FAIL"
        several = len(self.results) > 1
        if several:
            lines = [f"{verdict}: {name}: {len(self.results)} rules cover this file, and every one must hold"]
        else:
            only = self.results[0]
            lines = [f"{verdict}: {name}: {len(only.counted)} of {only.rule.threshold} required signers"]
        for result in self.results:
            indent = "    " if several else "  "
            if several:
                state = "holds" if result.passed else "fails"
                lines.append(f"  rule {result.rule.number} {state}: {len(result.counted)} of "
                             f"{result.rule.threshold} required signers")
            lines += [f"{indent}counted: {shown(identity)} — {what}" for identity, what in
                      sorted(result.counted.items())]
            lines += [f"{indent}rejected: {shown(path)} — {why}" for path, why in result.rejected]
            if not result.passed:
                missing = ", ".join(shown(i) for i in result.missing) or "(none of the allowed identities signed)"
                lines.append(f"{indent}missing: {missing}")
        lines += [f"  rejected: {shown(path)} — {why}" for path, why in self.unreadable]
        return lines


def decide(artifact: Path, input_: bytes | Hashed, digest: str, bundles: list[Path], rules: list[Rule],
           instance: Instance) -> Decision:
    """Verify each bundle once against the file, then judge it under every rule that covers the file.
    A bundle that cannot be read or verified is rejected with its reason; the others still count."""
    covering = [rule for rule in rules if rule.covers(artifact)]
    decision = Decision(artifact, [])
    if not covering:
        return decision
    if not bundles:
        decision.unreadable.append((artifact, "no bundle found (FILE.sigstore.json, FILE.<name>.sigstore.json "
                                              "or --bundle)"))
    signatures = []
    for path in bundles:
        try:
            loaded = load(path)
            verified = verify(instance, input_, loaded, identity=None, issuer_url=None)
        except ClientError as exc:
            decision.unreadable.append((path, str(exc).removeprefix(f"{shown(path)}: ")))
            continue
        signatures.append(Signature(path=path, names=verified.names, issuer=verified.issuer,
                                    key=verified.key_fingerprint, digest=loaded.digest_hex,
                                    description=f"{shown(path.name)}, {verified.describe()}"))
    decision.results = judge(artifact, digest, covering, signatures)
    return decision
