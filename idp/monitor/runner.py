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

from idp.common.merkle import Frontier, leaf_hash
from idp.monitor import entries, notes
from idp.monitor.findings import CRITICAL, Finding, report
from idp.monitor.matching import for_this_issuer, judge, serial_of
from idp.monitor.tiles import TiledLog, TileMissing
from idp.platform.config import Settings
from idp.store.db import db
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
        for entry in watched.parse(bundle, first):
            if entry.index >= frontier.size:
                frontier.append(leaf_hash(entry.leaf))
    if frontier.size != checkpoint.size or frontier.root() != checkpoint.root:
        _found(report_, _history_finding(watched, checkpoint, "does not match the entries of the log and the "
                                                              "ones read before"))
        return None
    return checkpoint


def _found(report_: PassReport, finding: Finding) -> None:
    row = report(finding)
    if row is not None:
        report_.findings.append(row)


def _match_ct(entry: entries.CtEntry, settings: Settings, skew: timedelta, report_: PassReport) -> None:
    identity = for_this_issuer(entry.certificate, settings)
    if identity is None or MonitoredCertificate.query.filter_by(log_index=entry.index).first() is not None:
        return
    logged_at = datetime.fromtimestamp(entry.timestamp_ms / 1000, UTC)
    row, found = judge(entry.certificate, identity, logged_at, entry.index, settings, skew)
    db.session.add(row)
    db.session.flush()
    for finding in found:
        _found(report_, finding)


def _match_rekor(entry: entries.RekorEntry, settings: Settings, report_: PassReport) -> None:
    if entry.certificate is None or for_this_issuer(entry.certificate, settings) is None:
        return
    if MonitoredSignature.query.filter_by(log_index=entry.index).first() is not None:
        return
    serial = serial_of(entry.certificate)
    signed_at = entry.certificate.not_valid_before_utc
    db.session.add(MonitoredSignature(log_index=entry.index, serial=serial, kind=entry.kind, digest=entry.digest,
                                      signed_at=signed_at))
    flagged = MonitorFinding.query.filter(MonitorFinding.serial == serial,
                                          MonitorFinding.severity == CRITICAL).first()
    if flagged is not None:
        _found(report_, Finding(
            key=f"signed-with-flagged:{entry.index}", kind="signature_with_flagged_certificate", severity=CRITICAL,
            serial=serial, user_id=flagged.user_id,
            sentence=(f"The flagged certificate {serial} signed {entry.digest} (Rekor entry {entry.index}, "
                      f"{entry.kind}, certificate valid from {signed_at:%d %b %Y %H:%M:%S} UTC): treat that artifact "
                      "as not signed by its owner.")))


def read_log(watched: WatchedLog, settings: Settings, skew: timedelta, report_: PassReport,
             progress: Progress) -> None:
    """Read what is new in one log (see the module's docstring)."""
    cursor = _cursor(watched)
    try:
        checkpoint = _verified_checkpoint(watched, cursor, report_)
    except (TileMissing, entries.EntryMalformed) as exc:
        _found(report_, Finding(key=f"unreadable:{watched.name}:{exc}", kind="log_unreadable", severity=CRITICAL,
                                sentence=f"The {watched.title} could not be read: {exc}. Nothing after it was read."))
        checkpoint = None
    if checkpoint is None:
        db.session.commit()
        return
    start, frontier = cursor.size, _frontier(cursor)
    for first, bundle in watched.log.bundles(cursor.size, checkpoint.size):
        for entry in watched.parse(bundle, first):
            if entry.index < frontier.size:
                continue
            frontier.append(leaf_hash(entry.leaf))
            if isinstance(entry, entries.CtEntry):
                _match_ct(entry, settings, skew, report_)
            else:
                _match_rekor(entry, settings, report_)
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
    report_ = PassReport()
    for watched in logs:
        read_log(watched, settings, skew, report_, progress)
    return report_
