"""Reading ``signers.toml`` strictly: a typo must never weaken a policy (findings P1, P2).

Every rule needs exactly ``artifacts`` (a list of globs), ``issuer`` (an http(s) URL),
``identities`` (a non-empty list, no repeats) and ``threshold`` (a whole number from 1 to the number
of identities). Anything else — an unknown key, a missing one, a value of the wrong type — is a
usage error that names the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from idp.client import UsageError
from idp.client.names import Name, parse_name

RULE_KEYS = ("artifacts", "issuer", "identities", "threshold")
RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
MAX_POLICY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Rule:
    """One ``[[rule]]``: at least ``threshold`` of ``identities``, vouched for by ``issuer``, must
    have signed every file that one of ``artifacts`` matches."""

    number: int
    artifacts: tuple[str, ...]
    issuer: str
    identities: tuple[Name, ...]
    threshold: int

    def covers(self, artifact: Path) -> bool:
        """Whether a glob matches ``artifact``: ``*`` and ``?`` never cross ``/``; a relative glob
        matches the end of the path relative to the working directory (``*.whl`` any wheel,
        ``dist/*.whl`` the wheels in any ``dist`` folder), an absolute glob the whole absolute path.
        ``./a``, ``a`` and ``/cwd/a`` are the same file to every rule."""
        relative, absolute = PurePosixPath(policy_path(artifact)), PurePosixPath(absolute_path(artifact))
        return any((absolute if glob.startswith("/") else relative).match(glob) for glob in self.artifacts)


def absolute_path(artifact: Path) -> str:
    """``artifact`` as an absolute path with ``.`` and ``..`` worked out (symlinks are not followed)."""
    resolved = Path(artifact).absolute()
    parts: list[str] = []
    for part in resolved.parts[1:]:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return str(PurePosixPath("/", *parts))


def policy_path(artifact: Path) -> str:
    """``artifact`` relative to the working directory when it is inside it, else absolute."""
    absolute = PurePosixPath(absolute_path(artifact))
    try:
        return str(absolute.relative_to(absolute_path(Path.cwd())))
    except ValueError:
        return str(absolute)


class _Lines:
    """Where each rule and each of its keys is in the file, to name the line in a message."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.starts = [i for i, line in enumerate(self.lines) if RULE_HEADER.match(line)]

    def of(self, number: int, key: str | None = None) -> int:
        if number > len(self.starts):
            return 1
        start = self.starts[number - 1]
        if key is None:
            return start + 1
        end = self.starts[number] if number < len(self.starts) else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for index in range(start, end):
            if pattern.match(self.lines[index]):
                return index + 1
        return start + 1


def _globs(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise UsageError(f"{where}: artifacts must be a list of globs, like [\"{value}\"], not a string.")
    if not isinstance(value, list) or not value:
        raise UsageError(f"{where}: artifacts must be a non-empty list of globs.")
    for glob in value:
        if not isinstance(glob, str) or not glob.strip():
            raise UsageError(f"{where}: every artifact glob must be a non-empty string, got {glob!r}.")
    return tuple(value)


def _issuer(value: object, where: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
        raise UsageError(f"{where}: issuer must be the identity provider's URL, like \"https://id.example.org\".")
    return value


def _identities(value: object, where: str) -> tuple[Name, ...]:
    if not isinstance(value, list) or not value:
        raise UsageError(f"{where}: identities must be a non-empty list.")
    names = []
    for item in value:
        if not isinstance(item, str):
            raise UsageError(f"{where}: every identity must be a string, got {item!r}.")
        try:
            names.append(parse_name(item))
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from exc
    if len(set(names)) != len(names):
        raise UsageError(f"{where}: an identity is listed twice.")
    return tuple(names)


def _threshold(value: object, count: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{where}: threshold must be a whole number, got {value!r}.")
    if not 1 <= value <= count:
        raise UsageError(f"{where}: threshold {value} but {count} identities: it must be from 1 to {count}.")
    return value


def load_policy(path: Path) -> list[Rule]:
    """Parse and check ``signers.toml``; every mistake is a :class:`UsageError` naming the line."""
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            raise UsageError(f"{path} is larger than a policy can be ({MAX_POLICY_BYTES} bytes).")
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"Cannot read the policy {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text.") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}.") from exc
    lines = _Lines(text)
    unknown = sorted(set(data) - {"rule"})
    if unknown:
        raise UsageError(f"{path}: unknown top-level key {unknown[0]!r} (a policy has only [[rule]] tables).")
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise UsageError(f"{path} has no [[rule]] entries.")
    rules = []
    for number, raw in enumerate(raw_rules, 1):
        where = f"{path}:{lines.of(number)}: rule {number}"
        if not isinstance(raw, dict):
            raise UsageError(f"{where} must be a [[rule]] table.")
        for key in raw:
            if key not in RULE_KEYS:
                raise UsageError(f"{path}:{lines.of(number, key)}: rule {number}: unknown key {key!r} "
                                 f"(a rule has {', '.join(RULE_KEYS)}).")
        for key in RULE_KEYS:
            if key not in raw:
                raise UsageError(f"{where}: {key} is missing (a rule needs artifacts, issuer, identities "
                                 "and threshold).")

        def at(key: str) -> str:
            return f"{path}:{lines.of(number, key)}: rule {number}"  # noqa: B023 (used right away)

        identities = _identities(raw["identities"], at("identities"))
        rules.append(Rule(number=number, artifacts=_globs(raw["artifacts"], at("artifacts")),
                          issuer=_issuer(raw["issuer"], at("issuer")), identities=identities,
                          threshold=_threshold(raw["threshold"], len(identities), at("threshold"))))
    return rules
