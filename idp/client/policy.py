"""Who may sign what: ``signers.toml`` maps artifact globs to allowed identities and a threshold k.

    [[rule]]
    artifacts  = ["dist/*.whl", "*.tar.gz"]
    issuer     = "https://id.example.org"
    identities = ["https://id.example.org/u/alice", "https://id.example.org/u/bob"]
    threshold  = 2
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sigstore.hashes import Hashed

from . import ClientError, UsageError
from .bundles import load
from .instance import Instance
from .verify import verify


@dataclass(frozen=True)
class Rule:
    artifacts: tuple[str, ...]
    issuer: str
    identities: tuple[str, ...]
    threshold: int

    def covers(self, artifact: Path) -> bool:
        return any(fnmatch.fnmatch(str(artifact), g) or fnmatch.fnmatch(artifact.name, g) for g in self.artifacts)


@dataclass
class Decision:
    artifact: Path
    rule: Rule | None
    counted: dict[str, str] = field(default_factory=dict)       # identity → description
    rejected: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.rule is not None and len(self.counted) >= self.rule.threshold

    @property
    def missing(self) -> list[str]:
        return [i for i in (self.rule.identities if self.rule else ()) if i not in self.counted]

    def report(self) -> list[str]:
        if self.rule is None:
            return [f"FAIL: {self.artifact}: no rule in the policy covers this file"]
        verdict = "OK" if self.passed else "FAIL"
        lines = [f"{verdict}: {self.artifact}: {len(self.counted)} of {self.rule.threshold} required signers"]
        lines += [f"  counted: {identity} — {what}" for identity, what in sorted(self.counted.items())]
        lines += [f"  rejected: {path} — {why}" for path, why in self.rejected]
        if not self.passed:
            lines.append(f"  missing: {', '.join(self.missing) or '(none of the allowed identities signed)'}")
        return lines


def load_policy(path: Path) -> list[Rule]:
    """Parse ``signers.toml``; every mistake is named."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"Cannot read the policy {path}: {exc.strerror}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}.") from exc
    rules = []
    for number, raw in enumerate(data.get("rule") or [], 1):
        try:
            rule = Rule(artifacts=tuple(raw["artifacts"]), issuer=str(raw["issuer"]),
                        identities=tuple(raw["identities"]), threshold=int(raw.get("threshold", 1)))
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{path}: rule {number} needs artifacts, issuer, identities (and threshold): {exc}") from exc
        if not 1 <= rule.threshold <= len(rule.identities):
            raise UsageError(f"{path}: rule {number} has threshold {rule.threshold} but "
                             f"{len(rule.identities)} identities.")
        rules.append(rule)
    if not rules:
        raise UsageError(f"{path} has no [[rule]] entries.")
    return rules


def decide(artifact: Path, input_: bytes | Hashed, bundles: list[Path], rules: list[Rule],
           instance: Instance) -> Decision:
    """Count the distinct allowed identities with a valid bundle for ``artifact``."""
    rule = next((r for r in rules if r.covers(artifact)), None)
    decision = Decision(artifact, rule)
    if rule is None:
        return decision
    if not bundles:
        decision.rejected.append((artifact, "no bundle found (FILE.sigstore.json, FILE.<name>.sigstore.json "
                                            "or --bundle)"))
    for path in bundles:
        try:
            verified = verify(instance, input_, load(path), identity=None, issuer_url=None)
        except ClientError as exc:
            decision.rejected.append((path, str(exc).removeprefix(f"{path}: ")))
            continue
        if verified.issuer != rule.issuer:
            decision.rejected.append((path, f"issued through {verified.issuer}, the policy requires {rule.issuer}"))
            continue
        allowed = [i for i in verified.identities if i in rule.identities]
        if not allowed:
            decision.rejected.append((path, f"{', '.join(sorted(verified.identities))} is not allowed to sign "
                                            f"{artifact.name}"))
            continue
        if allowed[0] in decision.counted:
            decision.rejected.append((path, f"{allowed[0]} already counted (one signature per identity)"))
            continue
        decision.counted[allowed[0]] = f"{path.name}, {verified.describe()}"
    return decision
