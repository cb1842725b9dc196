"""``hallmark stack status``: which servers answer, and what falls due (certificates, TUF metadata)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from idp.stack import pki
from idp.stack.layout import Layout, StackConfig
from idp.stack.services import TITLE
from idp.stack.supervisor import answers

SOON = timedelta(days=30)


@dataclass(frozen=True)
class Due:
    what: str
    when: datetime
    renewed: bool = False        # online TUF roles: the running Hallmark signs them again in time

    def line(self, now: datetime) -> str:
        left = self.when - now
        mark = "EXPIRED" if left <= timedelta(0) else ("soon" if left < SOON and not self.renewed else "ok")
        note = "; Hallmark renews it while it runs" if self.renewed else ""
        return f"{mark:>7}  {self.what}: {self.when:%Y-%m-%d %H:%M} UTC ({_span(left)}{note})"


def _span(left: timedelta) -> str:
    if left <= timedelta(0):
        return f"{_span(-left).removesuffix(' left')} ago"
    if left >= timedelta(days=2):
        return f"{left.days} days left"
    return f"{int(left.total_seconds() // 3600)} hours left"


def health(config: StackConfig, ready_urls: dict[str, str]) -> list[str]:
    return [f"{'up' if answers(url) else 'DOWN':>7}  {TITLE[name]} at {config.url(name)}"
            for name, url in ready_urls.items()]


def log_sizes(layout: Layout, now: datetime) -> list[str]:
    """Each log's size and the age of its last checkpoint, read from the tiles it writes (the
    checkpoint's second line is the tree size; its signature is for monitors to verify)."""
    lines = []
    for service, title in (("tesseract", "CT log (TesseraCT)"), ("rekor", "Rekor v2 log")):
        checkpoint = layout.storage(service) / "checkpoint"
        try:
            size = int(checkpoint.read_text().splitlines()[1])
            age = now - datetime.fromtimestamp(checkpoint.stat().st_mtime, UTC)
        except (OSError, IndexError, ValueError):
            lines.append(f"{'-':>7}  {title}: no checkpoint yet")
            continue
        lines.append(f"{size:>7}  entries in the {title}, last checkpoint {int(age.total_seconds())} s ago")
    return lines


def due(layout: Layout, instance_path: Path) -> list[Due]:
    """Certificate lifetimes of the CA and the TSA, and the expiry of each TUF role."""
    items = []
    for label, path in (("Fulcio CA", layout.fulcio_chain), ("timestamp authority", layout.tsa_chain)):
        for certificate in pki.read_chain(path):
            common_name = certificate.subject.rfc4514_string()
            items.append(Due(f"{label} certificate {common_name}", certificate.not_valid_after_utc))
    from idp.tufrepo import repository_for

    repository = repository_for(instance_path)
    if repository.exists:
        items += [Due(f"TUF {role} metadata", when, renewed=role in ("snapshot", "timestamp"))
                  for role, when in repository.expiries().items()]
    return sorted(items, key=lambda item: item.when)


def report(layout: Layout, config: StackConfig, instance_path: Path, ready_urls: dict[str, str],
           now: datetime | None = None) -> list[str]:
    moment = now or datetime.now(UTC)
    lines = ["Servers:", *health(config, ready_urls), "Logs:", *log_sizes(layout, moment),
             "Due:", *(item.line(moment) for item in due(layout, instance_path))]
    repository_missing = not (instance_path / "tuf" / "repository" / "timestamp.json").exists()
    if repository_missing:
        lines.append("    -  TUF: not published (hallmark stack init publishes the trust root)")
    return lines
