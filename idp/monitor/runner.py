"""One pass of the identity monitor over both logs.

For each log: verify its checkpoint with the trusted root's key; refuse one that is smaller than, or
inconsistent with, the last one verified (a log that rewrites history is a finding, and the cursor stays);
recompute the tree from the new entries and require the checkpoint's root; then match every new entry,
committing the cursor with each bundle's rows, so that a restart resumes where it stopped and reports
nothing twice. The CT log is read first: Rekor entries are tied to the certificates it holds.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from idp.common.merkle import Frontier, leaf_hash
from idp.monitor import entries, notes
from idp.monitor.findings import CRITICAL, Finding, report
from idp.monitor.matching import Matcher, for_this_issuer, serial_of
from idp.monitor.tiles import TiledLog, TileMissing
from idp.platform.config import Settings
from idp.store.db import db, table_of
from idp.store.models import MonitorCursor, MonitoredCertificate, MonitoredSignature, MonitorFinding

Progress = Callable[[str], None]


@dataclass(frozen=True)
class WatchedLog:
    """A log to read: its name, its folder, its key, and how its entries are parsed."""

    name: str                   # "ct" or "rekor"
    title: str
    log: TiledLog
    key: notes.LogKey
    parse: Callable[[bytes, int], Iterator[Any]]
    leaves: Callable[[bytes, int], Iterator[tuple[int, bytes]]]


@dataclass
class PassReport:
    """What one pass read and found."""

    read: dict[str, int] = field(default_factory=dict)
    findings: list[MonitorFinding] = field(default_factory=list)


def _cursor(watched: WatchedLog) -> MonitorCursor:
    cursor = db.session.get(MonitorCursor, watched.name)
    if cursor is None:
        cursor = MonitorCursor(log=watched.name, origin=watched.key.origin, size=0, frontier=[], checkpoint="",
                               checkpoint_size=0)
    return cursor


def _frontier(cursor: MonitorCursor) -> Frontier:
    return Frontier(cursor.size, [base64.b64decode(h) for h in cursor.frontier])


def _history_finding(watched: WatchedLog, checkpoint: notes.Checkpoint, why: str) -> Finding:
    return Finding(key=f"checkpoint:{watched.name}:{checkpoint.size}:{checkpoint.root.hex()}",
                   kind="checkpoint_inconsistent", severity=CRITICAL,
                   sentence=(f"The {watched.title} served a checkpoint (size {checkpoint.size}) that {why}: the log "
                             "rewrote its history or the checkpoint was tampered with. Nothing after it was read; "
                             "tell the administrators and keep this log's files for investigation."))


def _verified_checkpoint(watched: WatchedLog, cursor: MonitorCursor, report_: PassReport) -> notes.Checkpoint | None:
    """The new checkpoint if it is signed, not smaller than the last, and the entries lead to its root."""
    note = watched.log.checkpoint()
    try:
        checkpoint = notes.verify(note, watched.key)
    except notes.CheckpointRefused as exc:
        digest = hashlib.sha256(note.encode()).hexdigest()[:32]
        _found(report_, Finding(key=f"checkpoint-signature:{watched.name}:{digest}", kind="checkpoint_unsigned",
                                severity=CRITICAL, sentence=f"The {watched.title}'s checkpoint was refused: {exc}. "
                                "Nothing after it was read; tell the administrators."))
        return None
    if checkpoint.size < cursor.checkpoint_size:
        _found(report_, _history_finding(watched, checkpoint, f"is smaller than the one verified before "
                                                              f"(size {cursor.checkpoint_size})"))
        return None
    frontier = _frontier(cursor)
    for first, bundle in watched.log.bundles(cursor.size, checkpoint.size):
        for index, leaf in watched.leaves(bundle, first):
            if index >= frontier.size:
                frontier.append(leaf_hash(leaf))
    if frontier.size != checkpoint.size or frontier.root() != checkpoint.root:
        _found(report_, _history_finding(watched, checkpoint, "does not match the entries of the log and the "
                                                              "ones read before"))
        return None
    return checkpoint


def _found(report_: PassReport, finding: Finding) -> None:
    row = report(finding)
    if row is not None:
        report_.findings.append(row)


def _match_ct_bundle(found: list[entries.CtEntry], matcher: Matcher, report_: PassReport) -> None:
    """Keep and judge the bundle's certificates for this issuer (the others are not ours to watch)."""
    ours = []
    for entry in found:
        identity = for_this_issuer(entry.certificate, matcher.settings)
        if identity is not None:
            ours.append((entry.certificate, identity, datetime.fromtimestamp(entry.timestamp_ms / 1000, UTC),
                         entry.index))
    rows, findings = matcher.judge_all(ours)
    if rows:
        db.session.execute(insert(table_of(MonitoredCertificate)), rows)
    for finding in findings:
        _found(report_, finding)


def _match_rekor_bundle(found: list[entries.RekorEntry], matcher: Matcher, report_: PassReport) -> None:
    """Keep the bundle's signatures made with this issuer's certificates; report those of flagged ones."""
    ours = [(entry, serial_of(entry.certificate), entry.certificate.not_valid_before_utc) for entry in found
            if entry.certificate is not None and for_this_issuer(entry.certificate, matcher.settings) is not None]
    if not ours:
        return
    db.session.execute(insert(table_of(MonitoredSignature)), [
        {"log_index": entry.index, "serial": serial, "kind": entry.kind, "digest": entry.digest,
         "signed_at": signed_at} for entry, serial, signed_at in ours])
    flagged = {row.serial: row for row in MonitorFinding.query.filter(
        MonitorFinding.serial.in_({serial for _, serial, _ in ours}), MonitorFinding.severity == CRITICAL)}
    for entry, serial, signed_at in ours:
        if serial in flagged:
            _found(report_, Finding(
                key=f"signed-with-flagged:{entry.index}", kind="signature_with_flagged_certificate",
                severity=CRITICAL, serial=serial, user_id=flagged[serial].user_id,
                sentence=(f"The flagged certificate {serial} signed {entry.digest} (Rekor entry {entry.index}, "
                          f"{entry.kind}, certificate valid from {signed_at:%d %b %Y %H:%M:%S} UTC): treat that "
                          "artifact as not signed by its owner.")))


def read_log(watched: WatchedLog, matcher: Matcher, report_: PassReport, progress: Progress) -> None:
    """Read what is new in one log (see the module's docstring)."""
    cursor = _cursor(watched)
    if not watched.log.has_checkpoint() and cursor.checkpoint_size == 0:
        progress(f"{watched.title}: no checkpoint published yet, nothing to read")    # a log that never started
        report_.read[watched.name] = 0
        return
    try:
        checkpoint = _verified_checkpoint(watched, cursor, report_)
    except (TileMissing, entries.EntryMalformed) as exc:
        why = hashlib.sha256(str(exc).encode()).hexdigest()[:32]
        _found(report_, Finding(key=f"unreadable:{watched.name}:{why}", kind="log_unreadable", severity=CRITICAL,
                                sentence=f"The {watched.title} could not be read: {exc}. Nothing after it was read."))
        checkpoint = None
    if checkpoint is None:
        db.session.commit()
        return
    start, frontier = cursor.size, _frontier(cursor)
    for first, bundle in watched.log.bundles(cursor.size, checkpoint.size):
        new = [entry for entry in watched.parse(bundle, first) if entry.index >= frontier.size]
        for entry in new:
            frontier.append(leaf_hash(entry.leaf))
        if watched.name == "ct":
            _match_ct_bundle(new, matcher, report_)
        else:
            _match_rekor_bundle(new, matcher, report_)
        cursor.size, cursor.frontier = frontier.size, [base64.b64encode(h).decode() for h in frontier.hashes]
        cursor.checkpoint, cursor.checkpoint_size = checkpoint.note, checkpoint.size
        cursor.updated_at = datetime.now(UTC)
        db.session.add(cursor)
        db.session.commit()                 # the bundle's rows and the cursor together: a restart resumes here
        progress(f"{watched.title}: {frontier.size - start} new of {checkpoint.size} entries read")
    if frontier.size == checkpoint.size and cursor.checkpoint != checkpoint.note:
        cursor.checkpoint, cursor.checkpoint_size = checkpoint.note, checkpoint.size
        db.session.add(cursor)
        db.session.commit()
    report_.read[watched.name] = frontier.size - start


def run_once(logs: list[WatchedLog], settings: Settings, skew: timedelta,
             progress: Progress = lambda line: None) -> PassReport:
    """One pass over ``logs`` (the CT log first)."""
    report_, matcher = PassReport(), Matcher(settings, skew)
    for watched in logs:
        read_log(watched, matcher, report_, progress)
    return report_
